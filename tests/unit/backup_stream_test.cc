// The backup formats (backup/manifest.h, backup/backup_stream.h): the manifest's JSON and the
// framed stream, encoded and decoded in pieces of every size, and every way a stream or a
// manifest can be wrong.
#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backup/backup_stream.h"
#include "backup/manifest.h"
#include "backup/sha256.h"

namespace estoque::backup {
namespace {

Sha256Digest DigestOf(std::string_view bytes) {
  Sha256 hasher;
  hasher.Update(bytes);
  return hasher.Finish();
}

struct Content {
  std::string name;
  std::string bytes;
};

std::vector<Content> SampleFiles() {
  std::string large;
  for (int i = 0; i < 100'000; ++i) large.push_back(static_cast<char>(i * 31 % 251));
  return {{"000012.sst", large}, {"CURRENT", "MANIFEST-000005\n"}, {"empty.log", ""}, {"OPTIONS-000007", "[opts]"}};
}

Manifest HeaderOf(const std::vector<Content>& files) {
  Manifest header;
  header.server_version = "0.1.0";
  header.data_format_version = "3";
  header.created_at = "2024-06-01T13:00:00+00:00";
  for (const Content& file : files) header.files.push_back({file.name, file.bytes.size(), std::nullopt});
  return header;
}

std::string EncodeStream(const std::vector<Content>& files) {
  std::string out = EncodeStreamStart(HeaderOf(files));
  for (const Content& file : files) {
    out += EncodeFileStart({file.name, file.bytes.size(), std::nullopt});
    out += file.bytes;
    out += EncodeFileEnd(DigestOf(file.bytes));
  }
  return out + EncodeStreamEnd(files.size());
}

// Records what the decoder hands over.
class RecordingSink final : public BackupStreamSink {
 public:
  Status OnStart(const Manifest& header) override {
    started = true;
    header_files = header.files.size();
    return Status::Ok();
  }
  Status OnFileStart(const BackupFile& file) override {
    files.push_back({file.name, ""});
    return Status::Ok();
  }
  Status OnFileBytes(std::string_view bytes) override {
    files.back().bytes.append(bytes);
    return Status::Ok();
  }
  Status OnFileEnd(const BackupFile& file) override {
    EXPECT_EQ(file.name, files.back().name);
    EXPECT_TRUE(file.sha256.has_value());
    ++ended;
    return Status::Ok();
  }
  Status OnEnd(const Manifest& manifest) override {
    final_manifest = manifest;
    return Status::Ok();
  }

  bool started = false;
  std::size_t header_files = 0;
  std::vector<Content> files;
  int ended = 0;
  Manifest final_manifest;
};

Status DecodeAll(std::string_view stream, RecordingSink* sink, std::size_t piece_bytes = 4096) {
  BackupStreamDecoder decoder(sink);
  for (std::size_t offset = 0; offset < stream.size(); offset += piece_bytes) {
    if (Status s = decoder.Feed(stream.substr(offset, piece_bytes)); !s.ok()) return s;
  }
  return decoder.Finish();
}

TEST(BackupStreamTest, DecodesWhatIsEncodedInPiecesOfAnySize) {
  const std::vector<Content> files = SampleFiles();
  const std::string stream = EncodeStream(files);
  EXPECT_EQ(StreamBytes(HeaderOf(files)), stream.size());
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, stream.size()}) {
    RecordingSink sink;
    ASSERT_TRUE(DecodeAll(stream, &sink, piece).ok()) << piece;
    EXPECT_TRUE(sink.started);
    EXPECT_EQ(sink.header_files, files.size());
    ASSERT_EQ(sink.files.size(), files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
      EXPECT_EQ(sink.files[i].name, files[i].name);
      EXPECT_EQ(sink.files[i].bytes, files[i].bytes) << files[i].name;
      EXPECT_EQ(sink.final_manifest.files[i].sha256, DigestOf(files[i].bytes));
      EXPECT_EQ(sink.final_manifest.files[i].size_bytes, files[i].bytes.size());
    }
    EXPECT_EQ(sink.ended, static_cast<int>(files.size()));
    EXPECT_EQ(sink.final_manifest.data_format_version, "3");
  }
}

TEST(BackupStreamTest, AStreamCutShortFailsAtFinish) {
  const std::string stream = EncodeStream(SampleFiles());
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{200}, stream.size() / 2, stream.size() - 1}) {
    RecordingSink sink;
    const Status status = DecodeAll(stream.substr(0, cut), &sink);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << cut;
    EXPECT_NE(status.message().find("ended early"), std::string::npos) << status.message();
  }
}

TEST(BackupStreamTest, AnyChangedByteIsRefused) {
  const std::string stream = EncodeStream(SampleFiles());
  // Every byte of the framing and a sample of the data: none may go unnoticed.
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < 400; ++i) offsets.push_back(i);
  for (std::size_t i = 400; i < stream.size(); i += 997) offsets.push_back(i);
  for (std::size_t i = stream.size() - 300; i < stream.size(); ++i) offsets.push_back(i);
  for (std::size_t offset : offsets) {
    std::string damaged = stream;
    damaged[offset] = static_cast<char>(damaged[offset] ^ 0x20);
    RecordingSink sink;
    const Status status = DecodeAll(damaged, &sink);
    EXPECT_FALSE(status.ok()) << "byte " << offset << " changed unnoticed";
  }
}

TEST(BackupStreamTest, NamesTheFileWhoseDigestDiffers) {
  const std::vector<Content> files = SampleFiles();
  std::string stream = EncodeStream(files);
  const std::size_t data_at = stream.find(files[0].bytes.substr(0, 64));
  ASSERT_NE(data_at, std::string::npos);
  stream[data_at + 1000] ^= 1;
  RecordingSink sink;
  const Status status = DecodeAll(stream, &sink);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("000012.sst does not match its SHA-256"), std::string::npos) << status.message();
}

TEST(BackupStreamTest, RefusesBytesAfterTheEndAndOtherVersions) {
  std::string stream = EncodeStream(SampleFiles());
  RecordingSink trailing;
  EXPECT_EQ(DecodeAll(stream + "x", &trailing).code(), StatusCode::kCorruption);

  std::string other_version = stream;
  other_version[kStreamMagic.size()] = 2;
  RecordingSink version_sink;
  const Status status = DecodeAll(other_version, &version_sink);
  EXPECT_NE(status.message().find("format version 2 is not supported"), std::string::npos) << status.message();

  RecordingSink not_backup;
  EXPECT_NE(DecodeAll("{\"error\":{}}", &not_backup).message().find("bad magic"), std::string::npos);
}

TEST(BackupStreamTest, RecordsMustFollowTheHeader) {
  const std::vector<Content> files = SampleFiles();
  // Two records swapped.
  std::vector<Content> swapped = files;
  std::swap(swapped[1], swapped[2]);
  std::string stream = EncodeStreamStart(HeaderOf(files));
  for (const Content& file : swapped) {
    stream += EncodeFileStart({file.name, file.bytes.size(), std::nullopt}) + file.bytes + EncodeFileEnd(DigestOf(file.bytes));
  }
  stream += EncodeStreamEnd(files.size());
  RecordingSink sink;
  EXPECT_NE(DecodeAll(stream, &sink).message().find("is not CURRENT"), std::string::npos);

  // The end record before the last file.
  std::string early = EncodeStreamStart(HeaderOf(files)) + EncodeStreamEnd(0);
  RecordingSink early_sink;
  EXPECT_NE(DecodeAll(early, &early_sink).message().find("ends after 0 of 4 files"), std::string::npos);
}

TEST(BackupStreamTest, SinkErrorsStopTheDecoding) {
  class FailingSink final : public BackupStreamSink {
   public:
    Status OnStart(const Manifest&) override { return Status::Ok(); }
    Status OnFileStart(const BackupFile&) override { return Status::Unavailable("disk full"); }
    Status OnFileBytes(std::string_view) override { return Status::Ok(); }
    Status OnFileEnd(const BackupFile&) override { return Status::Ok(); }
    Status OnEnd(const Manifest&) override { return Status::Ok(); }
  } sink;
  BackupStreamDecoder decoder(&sink);
  const Status status = decoder.Feed(EncodeStream(SampleFiles()));
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(decoder.Feed("more").code(), StatusCode::kUnavailable);
  EXPECT_FALSE(decoder.Finish().ok());
}

// ---- the manifest ----------------------------------------------------------------------------

TEST(BackupManifestTest, RoundTripsWithDigests) {
  Manifest manifest = HeaderOf(SampleFiles());
  for (BackupFile& file : manifest.files) file.sha256 = DigestOf(file.name);
  Result<Manifest> decoded = DecodeManifest(EncodeManifest(manifest), /*digests_required=*/true);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, manifest);
  // The stream's header carries no digests; the manifest file needs them all.
  EXPECT_FALSE(DecodeManifest(EncodeManifest(manifest), /*digests_required=*/false).ok());
  EXPECT_FALSE(DecodeManifest(EncodeManifest(HeaderOf(SampleFiles())), /*digests_required=*/true).ok());
}

TEST(BackupManifestTest, RefusesWhatCouldEscapeTheDirectoryOrIsMalformed) {
  for (const char* name : {"", ".", "..", "../x", "a/b", "/etc/passwd", "manifest.json", "a b", "ç"}) {
    EXPECT_FALSE(IsBackupFileName(name)) << name;
  }
  for (const char* name : {"CURRENT", "000012.sst", "MANIFEST-000005", "OPTIONS-000007", "LOCK", "a_b-c.d"}) {
    EXPECT_TRUE(IsBackupFileName(name)) << name;
  }
  EXPECT_FALSE(IsBackupFileName(std::string(256, 'a')));

  const std::string base =
      R"({"format":"estoque-backup","format_version":1,"server_version":"0.1.0","data_format_version":"3",)"
      R"("created_at":"x","files":)";
  const std::string digest(64, 'a');
  auto decode = [&](const std::string& files) { return DecodeManifest(base + files + "}", true); };
  EXPECT_TRUE(decode(R"([{"name":"CURRENT","size":1,"sha256":")" + digest + R"("}])").ok());
  EXPECT_FALSE(decode(R"([{"name":"../CURRENT","size":1,"sha256":")" + digest + R"("}])").ok());
  EXPECT_FALSE(decode(R"([{"name":"CURRENT","size":-1,"sha256":")" + digest + R"("}])").ok());
  EXPECT_FALSE(decode(R"([{"name":"CURRENT","size":1,"sha256":"xyz"}])").ok());
  EXPECT_FALSE(decode(R"([{"name":"A","size":1,"sha256":")" + digest + R"("},{"name":"A","size":2,"sha256":")" +
                      digest + R"("}])")
                   .ok());
  EXPECT_FALSE(decode(R"({})").ok());
  EXPECT_FALSE(DecodeManifest("not json", true).ok());
  EXPECT_FALSE(DecodeManifest(R"({"format":"estoque-backup","format_version":2})", true).ok());
  EXPECT_NE(DecodeManifest(R"({"format":"estoque-backup","format_version":2})", true).status().message().find(
                "format_version 2 is not supported"),
            std::string::npos);
}

TEST(BackupManifestTest, DigestHexRoundTrips) {
  const Sha256Digest digest = DigestOf("abc");
  EXPECT_EQ(DigestHex(digest), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ParseDigestHex(DigestHex(digest)), digest);
  EXPECT_EQ(ParseDigestHex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"), digest);
  EXPECT_FALSE(ParseDigestHex("ba78").has_value());
  EXPECT_FALSE(ParseDigestHex(std::string(64, 'g')).has_value());
}

}  // namespace
}  // namespace estoque::backup
