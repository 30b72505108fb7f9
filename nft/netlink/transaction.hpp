// Sending a Batch and collecting what the kernel says about every message.
//
// nfnetlink processes the whole batch inside our sendmsg() call and queues
// one reply per NLM_F_ACK message (ACK = error 0, or the error with its
// extended ack) before sendmsg() returns; if any message failed it aborts
// the transaction and nothing of it stays. send_batch() sizes the socket
// buffers for the batch and its replies, sends it in one sendmsg(), drains
// the replies and maps each error to the owner tag of the message (or set
// element) that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "batch.hpp"
#include "socket.hpp"

namespace svcnat::nft::netlink {

struct MessageError {
    uint32_t seq = 0;
    int error = 0;                // positive errno
    std::string error_text;       // strerror(error)
    std::string ext_ack;          // NLMSGERR_ATTR_MSG ("" if the kernel gave none)
    std::optional<uint32_t> attr_offset;  // NLMSGERR_ATTR_OFFS, from the failed message's start
    std::string owner;            // owner tag of the message / element ("" if unknown)
    uint16_t message_type = 0;    // nlmsg_type of the failed message (0 if unknown seq)
    std::string message_name;     // "NEWRULE", ...

    // "default/kubia:http: NEWRULE: No such file or directory (ext-ack text)"
    std::string describe() const;
};

enum class Outcome {
    Committed,  // every message acknowledged without error, and the commit succeeded
    Aborted,    // the kernel rejected the transaction: nothing of it was applied
    Unknown,    // replies were lost (ENOBUFS) with no error among those read, or
                // sending failed midway: re-read the ruleset before trusting it
};

std::string_view to_string(Outcome outcome);

struct BatchResult {
    bool ok() const { return outcome == Outcome::Committed; }
    Outcome outcome = Outcome::Unknown;
    std::vector<MessageError> errors;  // every error reported, in reply order
    std::string transport_error;       // sendmsg/recv failure, "" if none
    bool replies_lost = false;         // ENOBUFS seen while reading replies
    size_t messages = 0;               // netlink messages sent (begin/end included)
    size_t bytes = 0;                  // bytes sent
    size_t pages = 0;                  // iovecs in the sendmsg()
    size_t acks = 0;                   // success replies received
    size_t unanswered = 0;             // NLM_F_ACK messages with no reply
    double send_seconds = 0;           // time inside sendmsg() (= kernel processing + commit)
    double receive_seconds = 0;        // time reading replies

    // One line per error, for logs.
    std::string summary() const;
};

// Finishes the batch if needed, grows the socket buffers to fit it and its
// replies, sends it in one sendmsg() and collects the replies.
BatchResult send_batch(NetlinkSocket& socket, Batch& batch);

// The reply-parsing half of send_batch(), over raw bytes (one or more
// netlink messages as read from the socket): records ACKs and errors for
// messages of `batch` into `result`, and marks each answered seq in
// `answered` (indexed like batch.messages()). Pure; unit-tested without a
// kernel. Returns false if the buffer is malformed.
bool absorb_replies(std::span<const uint8_t> bytes, uint32_t port_id, const Batch& batch,
                    std::vector<bool>& answered, BatchResult& result);

// Decides result.outcome from what absorb_replies() collected.
void settle_outcome(const Batch& batch, const std::vector<bool>& answered, BatchResult& result);

}  // namespace svcnat::nft::netlink
