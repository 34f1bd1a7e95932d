#include "backup/backup_stream.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "common/fixed_encoding.h"

namespace estoque::backup {

namespace {

constexpr char kFileTag = 'F';
constexpr char kEndTag = 'E';
constexpr std::size_t kFileRecordFixedBytes = 1 + sizeof(uint16_t) + sizeof(uint64_t) + kSha256Bytes;
constexpr std::size_t kEndRecordBytes = 1 + sizeof(uint32_t);

Status Corrupt(std::string reason) { return Status::Corruption("backup stream: " + std::move(reason)); }

}  // namespace

std::string EncodeStreamStart(const Manifest& header) {
  const std::string json = EncodeManifest(header);
  assert(json.size() <= kManifestBytesMax);
  std::string out(kStreamMagic);
  out.push_back(static_cast<char>(kBackupFormatVersion));
  AppendFixed<uint32_t>(&out, static_cast<uint32_t>(json.size()));
  out += json;
  Sha256 hasher;
  hasher.Update(json);
  out += EncodeFileEnd(hasher.Finish());
  return out;
}

std::string EncodeFileStart(const BackupFile& file) {
  assert(IsBackupFileName(file.name));
  std::string out(1, kFileTag);
  AppendFixed<uint16_t>(&out, static_cast<uint16_t>(file.name.size()));
  out += file.name;
  AppendFixed<uint64_t>(&out, file.size_bytes);
  return out;
}

std::string EncodeFileEnd(const Sha256Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string EncodeStreamEnd(std::size_t file_count) {
  std::string out(1, kEndTag);
  AppendFixed<uint32_t>(&out, static_cast<uint32_t>(file_count));
  return out;
}

uint64_t StreamBytes(const Manifest& header) {
  uint64_t total = kStreamMagic.size() + 1 + sizeof(uint32_t) + EncodeManifest(header).size() + kSha256Bytes;
  for (const BackupFile& file : header.files) total += kFileRecordFixedBytes + file.name.size() + file.size_bytes;
  return total + kEndRecordBytes;
}

Status BackupStreamDecoder::Fail(Status status) {
  assert(!status.ok());
  error_ = status;
  return status;
}

void BackupStreamDecoder::Expect(State state, std::size_t bytes) {
  state_ = state;
  need_bytes_ = bytes;
  pending_.clear();
}

Status BackupStreamDecoder::Feed(std::string_view bytes) {
  if (!error_.ok()) return error_;
  bytes_read_ += bytes.size();
  while (!bytes.empty()) {
    if (state_ == State::kDone) return Fail(Corrupt("bytes after the end record"));
    if (state_ == State::kFileData) {
      const std::size_t take =
          static_cast<std::size_t>(std::min<uint64_t>(file_remaining_bytes_, bytes.size()));
      const std::string_view piece = bytes.substr(0, take);
      hasher_.Update(piece);
      if (Status s = sink_->OnFileBytes(piece); !s.ok()) return Fail(s);
      file_remaining_bytes_ -= take;
      bytes.remove_prefix(take);
      if (file_remaining_bytes_ == 0) Expect(State::kFileDigest, kSha256Bytes);
      continue;
    }
    const std::size_t take = std::min(need_bytes_ - pending_.size(), bytes.size());
    pending_.append(bytes.data(), take);
    bytes.remove_prefix(take);
    if (pending_.size() < need_bytes_) break;
    if (Status s = OnPart(); !s.ok()) return Fail(s);
  }
  return Status::Ok();
}

Status BackupStreamDecoder::OnPart() {
  switch (state_) {
    case State::kMagic: {
      if (std::string_view(pending_).substr(0, kStreamMagic.size()) != kStreamMagic) {
        return Corrupt("not an estoque backup stream (bad magic)");
      }
      const int version = static_cast<unsigned char>(pending_.back());
      if (version != kBackupFormatVersion) {
        return Corrupt("format version " + std::to_string(version) + " is not supported (this estoque reads " +
                       std::to_string(kBackupFormatVersion) + ")");
      }
      Expect(State::kHeaderLength, sizeof(uint32_t));
      return Status::Ok();
    }
    case State::kHeaderLength: {
      const auto length = ReadFixed<uint32_t>(pending_.data());
      if (length > kManifestBytesMax) return Corrupt("header of " + std::to_string(length) + " bytes is too long");
      if (length == 0) return Corrupt("empty header");
      Expect(State::kHeader, length + kSha256Bytes);
      return Status::Ok();
    }
    case State::kHeader: {
      const std::string_view json = std::string_view(pending_).substr(0, pending_.size() - kSha256Bytes);
      hasher_.Update(json);
      if (EncodeFileEnd(hasher_.Finish()) != std::string_view(pending_).substr(json.size())) {
        return Corrupt("the header does not match its SHA-256 (damaged)");
      }
      Result<Manifest> header = DecodeManifest(json, /*digests_required=*/false);
      if (!header.ok()) return Corrupt(header.status().message());
      manifest_ = std::move(*header);
      if (Status s = sink_->OnStart(manifest_); !s.ok()) return s;
      Expect(State::kRecordTag, 1);
      return Status::Ok();
    }
    case State::kRecordTag: {
      const char tag = pending_[0];
      if (tag == kFileTag) {
        if (file_index_ == manifest_.files.size()) {
          return Corrupt("a file record after the " + std::to_string(manifest_.files.size()) + " files announced");
        }
        Expect(State::kNameLength, sizeof(uint16_t));
      } else if (tag == kEndTag) {
        if (file_index_ != manifest_.files.size()) {
          return Corrupt("ends after " + std::to_string(file_index_) + " of " +
                         std::to_string(manifest_.files.size()) + " files");
        }
        Expect(State::kEndCount, sizeof(uint32_t));
      } else {
        return Corrupt("unknown record tag " + std::to_string(static_cast<unsigned char>(tag)));
      }
      return Status::Ok();
    }
    case State::kNameLength: {
      const auto length = ReadFixed<uint16_t>(pending_.data());
      if (length == 0 || length > kBackupFileNameBytesMax) return Corrupt("bad file name length");
      Expect(State::kName, length);
      return Status::Ok();
    }
    case State::kName: {
      const BackupFile& expected = manifest_.files[file_index_];
      if (pending_ != expected.name) {
        return Corrupt("file record " + std::to_string(file_index_) + " is not " + expected.name);
      }
      record_name_ = pending_;
      Expect(State::kFileSize, sizeof(uint64_t));
      return Status::Ok();
    }
    case State::kFileSize: {
      const BackupFile& expected = manifest_.files[file_index_];
      const auto size = ReadFixed<uint64_t>(pending_.data());
      if (size != expected.size_bytes) {
        return Corrupt("file " + expected.name + " has " + std::to_string(size) + " bytes, the header said " +
                       std::to_string(expected.size_bytes));
      }
      if (Status s = sink_->OnFileStart(expected); !s.ok()) return s;
      file_remaining_bytes_ = size;
      if (size == 0) {
        Expect(State::kFileDigest, kSha256Bytes);
      } else {
        state_ = State::kFileData;
        pending_.clear();
      }
      return Status::Ok();
    }
    case State::kFileDigest: {
      BackupFile& file = manifest_.files[file_index_];
      Sha256Digest sent{};
      std::copy(pending_.begin(), pending_.end(), reinterpret_cast<char*>(sent.data()));
      const Sha256Digest computed = hasher_.Finish();
      if (sent != computed) {
        return Corrupt("file " + file.name + " does not match its SHA-256 (sent " + DigestHex(sent) + ", received " +
                       DigestHex(computed) + ")");
      }
      file.sha256 = computed;
      if (Status s = sink_->OnFileEnd(file); !s.ok()) return s;
      ++file_index_;
      Expect(State::kRecordTag, 1);
      return Status::Ok();
    }
    case State::kEndCount: {
      const auto count = ReadFixed<uint32_t>(pending_.data());
      if (count != manifest_.files.size()) return Corrupt("end record counts " + std::to_string(count) + " files");
      if (Status s = sink_->OnEnd(manifest_); !s.ok()) return s;
      Expect(State::kDone, 0);
      return Status::Ok();
    }
    case State::kFileData:
    case State::kDone:
      break;
  }
  assert(false && "no fixed part in this state");
  return Status::Internal("backup stream decoder in an impossible state");
}

Status BackupStreamDecoder::Finish() const {
  if (!error_.ok()) return error_;
  if (state_ != State::kDone) {
    return Corrupt("ended early, after " + std::to_string(bytes_read_) + " bytes (the server failed or the connection "
                   "was lost; see the server's log)");
  }
  return Status::Ok();
}

}  // namespace estoque::backup
