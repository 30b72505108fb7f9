// Resource records: the layout table, the one writer, copying records out of
// a message with their names decompressed, and printing them.
#include <gtest/gtest.h>

#include "control/dns/rr.hpp"

namespace svcnat::dns {
namespace {

std::string hex(std::string_view s) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

TEST(RRLayouts, EveryWrittenTypeHasOneAndUnknownTypesAreOpaque) {
    for (uint16_t t : {kTypeA, kTypeNS, kTypeCNAME, kTypeSOA, kTypePTR, kTypeMX, kTypeTXT, kTypeAAAA, kTypeSRV}) {
        ASSERT_NE(rr_layout(t), nullptr) << t;
        EXPECT_EQ(rr_layout(t)->type, t);
    }
    EXPECT_EQ(type_mnemonic(kTypeSRV), "SRV");
    EXPECT_EQ(rr_layout(65), nullptr);
    EXPECT_EQ(type_mnemonic(65), "TYPE65");
    EXPECT_TRUE(rr_layout(kTypeSOA)->has_names());
    EXPECT_FALSE(rr_layout(kTypeTXT)->has_names());
}

TEST(WriteRR, HeaderAndFieldsInTheLayoutsOrder) {
    std::string out;
    StringSink sink(out);
    write_rr(sink, Pointer(12).view(), {kTypeSRV, 30},
             {Rdata::u16(0), Rdata::u16(25), Rdata::u16(8080), Rdata::uncompressed_name(to_wire("web.default.svc"))});
    EXPECT_EQ(hex(out), "c00c" "0021" "0001" "0000001e" "0017" "0000" "0019" "1f90"
                        "03776562" "0764656661756c74" "03737663" "00");
    out.clear();
    const IPAddr ip = *IPAddr::parse("fd00::1");
    write_rr(sink, to_wire("a"), {kTypeAAAA, 5}, {Rdata::address(ip)});
    EXPECT_EQ(hex(out), "016100" "001c" "0001" "00000005" "0010" "fd000000000000000000000000000001");
    out.clear();
    write_rr(sink, std::string_view("", 1), {kTypeOPT, 0x8000, 1232}, {});
    EXPECT_EQ(hex(out), "00" "0029" "04d0" "00008000" "0000") << "OPT: class is the UDP size, TTL the flags";
}

TEST(WriteRR, ABufferSinkThatIsTooSmallWritesNothingMoreAndSaysSo) {
    uint8_t buf[20] = {};
    BufferSink sink(buf, sizeof buf);
    write_rr(sink, Pointer(12).view(), {kTypePTR, 30}, {Rdata::name(to_wire("web.default.svc.cluster.local"))});
    EXPECT_FALSE(sink.ok());
    EXPECT_LE(sink.size(), sizeof buf);
}

// A message with the question at 12 and records whose names use compression
// pointers, then copy_records: every name comes out in full, per layout.
TEST(CopyRecords, DecompressesTheNamesOfEachLayout) {
    std::string msg(12, '\0');
    msg += to_wire("example.com");
    msg.append("\0\1\0\1", 4);
    StringSink sink(msg);
    auto ptr = [](size_t at) { return Pointer(at); };
    write_rr(sink, ptr(12).view(), {kTypeMX, 60}, {Rdata::u16(10), Rdata::name(ptr(12).view())});
    write_rr(sink, ptr(12).view(), {kTypeSOA, 60},
             {Rdata::name(ptr(12).view()), Rdata::name(to_wire("hostmaster.example.com")), Rdata::u32(1),
              Rdata::u32(2), Rdata::u32(3), Rdata::u32(4), Rdata::u32(5)});
    write_rr(sink, ptr(12).view(), {kTypeTXT, 60}, {Rdata::text("v=spf1"), Rdata::text("-all")});
    write_rr(sink, ptr(12).view(), {65, 60}, {Rdata::u16(1), Rdata::u16(0xc00c)});  // unknown: opaque, not a name
    size_t pos = 12 + to_wire("example.com").size() + 4;
    std::string out;
    ASSERT_TRUE(copy_records(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), &pos, 4, out));
    EXPECT_EQ(pos, msg.size());
    std::string text;
    records_text(out, 4, text);
    EXPECT_EQ(text,
              "example.com. 60 IN MX 10 example.com.\n"
              "example.com. 60 IN SOA example.com. hostmaster.example.com. 1 2 3 4 5\n"
              "example.com. 60 IN TXT \"v=spf1\" \"-all\"\n"
              "example.com. 60 IN TYPE65 \\# 4\n");
    // A name field running past its rdata is malformed.
    std::string bad = msg.substr(0, 12 + to_wire("example.com").size() + 4);
    StringSink bad_sink(bad);
    write_rr(bad_sink, ptr(12).view(), {kTypeCNAME, 60}, {Rdata::name(to_wire("x"))});
    bad[bad.size() - 4] = 2;  // RDLENGTH 2 for a 3-byte name
    pos = 12 + to_wire("example.com").size() + 4;
    out.clear();
    EXPECT_FALSE(copy_records(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), &pos, 1, out));
}

}  // namespace
}  // namespace svcnat::dns
