// Bounds-checked big-endian readers and writers over byte buffers, the only way the BGP codec
// touches raw bytes. A ByteReader never reads past the end of its span: every read first checks
// has(n), and callers turn a short read into the NOTIFICATION the RFC asks for.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kubevip::bgp {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  bool has(std::size_t n) const { return n <= remaining(); }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool empty() const { return remaining() == 0; }

  // Each read asserts has(n): callers check first, so a failed assertion is a codec bug.
  uint8_t u8() {
    assert(has(1));
    return bytes_[pos_++];
  }
  uint16_t u16() {
    assert(has(2));
    const auto v = static_cast<uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t u32() {
    assert(has(4));
    uint32_t v = (uint32_t{bytes_[pos_]} << 24) | (uint32_t{bytes_[pos_ + 1]} << 16) |
                 (uint32_t{bytes_[pos_ + 2]} << 8) | uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  std::span<const uint8_t> take(std::size_t n) {
    assert(has(n));
    auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::span<const uint8_t> rest() { return take(remaining()); }

 private:
  std::span<const uint8_t> bytes_;
  std::size_t pos_ = 0;
};

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  std::size_t size() const { return out_.size(); }
  // Reserves a length field to be filled in once what it measures has been written.
  std::size_t reserveU8() {
    out_.push_back(0);
    return out_.size() - 1;
  }
  std::size_t reserveU16() {
    u16(0);
    return out_.size() - 2;
  }
  void patchU8(std::size_t at, uint8_t v) { out_[at] = v; }
  void patchU16(std::size_t at, uint16_t v) {
    out_[at] = static_cast<uint8_t>(v >> 8);
    out_[at + 1] = static_cast<uint8_t>(v);
  }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace kubevip::bgp
