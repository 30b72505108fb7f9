// DPDK telemetry commands of the gateway (read with dpdk-telemetry.py or any
// client of the telemetry socket):
//   <prefix>/stats       totals: rx/tx, drops by reason, flows, rates, reloads
//   <prefix>/lcore,N     the same counters for worker N
//   <prefix>/services    per service port: packets, bytes, flows
//   <prefix>/backends    per (service, backend): packets, bytes, flows
//   <prefix>/neighbors   the ARP table
// Telemetry callbacks carry no context pointer, so one gateway per process
// is registered; commands answer "no gateway" after unregister.
#pragma once

#include <string>

namespace svcnat::dpdk {

class Gateway;

// Registers the commands once per process (DPDK cannot unregister) and
// points them at `gw` (nullptr detaches). Returns false if registration failed.
bool register_telemetry(Gateway* gw, const std::string& prefix);

}  // namespace svcnat::dpdk
