// The backup stream: what GET /v1/admin/backup sends and `estoque backup` reads. One encoder (the
// pieces below, put together by the server's SnapshotStream) and one decoder. Little-endian:
//
//   stream = start file* end
//   start  = "ESTQBKP" u8 format_version(=1) | u32 header_len | header | 32 bytes: SHA-256 of header
//            (header: the manifest as JSON, manifest.h, without digests: it lists every file that
//            follows, in order, with its size)
//   file   = u8 'F' | u16 name_len | name | u64 size | size bytes | 32 bytes: SHA-256 of the bytes
//   end    = u8 'E' | u32 file_count
//
// The length of the whole stream follows from the header (StreamBytes), so it is sent with a
// Content-Length; a stream cut short (server error, lost connection) lacks its end record. Every
// byte is checked: the header and each file by their digests, the framing against the header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "backup/manifest.h"
#include "backup/sha256.h"
#include "common/status.h"

namespace estoque::backup {

// The stream's first 7 bytes; the 8th is kBackupFormatVersion.
inline constexpr std::string_view kStreamMagic = "ESTQBKP";

// The pieces of a stream, in order: EncodeStreamStart, then per file EncodeFileStart, its bytes,
// EncodeFileEnd; then EncodeStreamEnd. REQUIRES (start): `header` has no digests and valid names.
std::string EncodeStreamStart(const Manifest& header);
std::string EncodeFileStart(const BackupFile& file);
std::string EncodeFileEnd(const Sha256Digest& digest);
std::string EncodeStreamEnd(std::size_t file_count);
// The length of the whole stream of `header`'s files.
uint64_t StreamBytes(const Manifest& header);

// What a decoded stream is handed to, in stream order. Returning an error stops the decoding
// (Feed returns it).
class BackupStreamSink {
 public:
  virtual ~BackupStreamSink() = default;
  virtual Status OnStart(const Manifest& header) = 0;
  virtual Status OnFileStart(const BackupFile& file) = 0;
  virtual Status OnFileBytes(std::string_view bytes) = 0;
  // `file` carries its digest, already checked against the bytes received.
  virtual Status OnFileEnd(const BackupFile& file) = 0;
  // The whole manifest, every file with its checked digest.
  virtual Status OnEnd(const Manifest& manifest) = 0;
};

// Push decoder: feed it the stream in pieces of any size. Holds at most the header and one
// record header in memory; file bytes pass straight to the sink. Not thread-safe.
class BackupStreamDecoder {
 public:
  explicit BackupStreamDecoder(BackupStreamSink* sink) : sink_(sink) {}

  // Decodes `bytes`. Corruption naming the problem for a malformed stream: bad magic or version,
  // a header too long, damaged (its digest) or invalid (DecodeManifest), a record other than the one the header
  // announces (name, size, order, count), a file whose bytes do not match its SHA-256, or bytes
  // after the end. After an error every call returns it again.
  Status Feed(std::string_view bytes);
  // Call after the last Feed: Corruption ("ended early") unless the end record was read.
  Status Finish() const;
  bool done() const { return state_ == State::kDone; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  enum class State { kMagic, kHeaderLength, kHeader, kRecordTag, kNameLength, kName, kFileSize, kFileData,
                     kFileDigest, kEndCount, kDone };
  Status Fail(Status status);
  // Acts on the fixed part just completed in pending_ and chooses the next state.
  Status OnPart();
  void Expect(State state, std::size_t bytes);

  BackupStreamSink* sink_;
  State state_ = State::kMagic;
  std::size_t need_bytes_ = kStreamMagic.size() + 1;
  std::string pending_;  // the current fixed part, until need_bytes_ of it arrived
  Status error_;
  Manifest manifest_;            // the header's, digests filled in as files end
  std::size_t file_index_ = 0;   // the file being read, or the next one
  std::string record_name_;
  uint64_t file_remaining_bytes_ = 0;
  Sha256 hasher_;
  uint64_t bytes_read_ = 0;
};

}  // namespace estoque::backup
