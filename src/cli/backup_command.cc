#include "cli/backup_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <system_error>
#include <utility>

#include "backup/backup_stream.h"
#include "backup/backup_writer.h"
#include "backup/file_io.h"
#include "backup/restore.h"
#include "cli/http_client.h"
#include "cli/server_reply.h"
#include "load/base_url.h"

namespace estoque::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kBackupTarget = "/v1/admin/backup";
// Bound on connecting and on each read of the stream (the whole download may take longer). The
// server flushes its memtables before the first byte, which may take a few seconds under load.
constexpr std::chrono::seconds kReadTimeout{120};

int Fail(std::ostream& err, std::string_view command, int code, const std::string& message) {
  err << "estoque " << command << ": " << message << "\n" << std::flush;
  return code;
}

// "1.5 MiB" style sizes for the summaries.
std::string HumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return text;
}

// The backup directory made ready: created (0700) if missing; refused unless empty. Sets
// *created when this call created it.
Status PrepareTarget(const std::string& dir, bool* created) {
  Result<bool> empty = backup::IsMissingOrEmptyDirectory(dir);
  if (!empty.ok()) return empty.status();
  if (!*empty) return Status::Conflict(dir + " is not empty: back up into a new or empty directory");
  std::error_code error;
  *created = fs::create_directories(dir, error);
  if (error) return Status::Unavailable("cannot create " + dir + ": " + error.message());
  if (*created) fs::permissions(dir, fs::perms::owner_all, error);
  return Status::Ok();
}

}  // namespace

int RunBackupCommand(const BackupOptions& options, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kCommand = "backup";
  Result<load::BaseUrl> url = load::ParseBaseUrl(options.server);
  if (!url.ok()) return Fail(err, kCommand, kBackupExitUsage, "--server: " + url.status().message());
  if (options.api_key.empty()) {
    return Fail(err, kCommand, kBackupExitUsage, "needs an admin API key: --key KEY or the ESTOQUE_API_KEY variable");
  }
  if (options.to_dir.empty()) return Fail(err, kCommand, kBackupExitUsage, "--to DIR is required");
  bool created = false;
  if (Status s = PrepareTarget(options.to_dir, &created); !s.ok()) {
    return Fail(err, kCommand, kBackupExitError, s.message());
  }

  HttpClientOptions client_options;
  client_options.url = std::move(*url);
  client_options.headers.emplace_back("x-api-key", options.api_key);
  client_options.timeout = kReadTimeout;
  BlockingHttpClient client(std::move(client_options));
  backup::BackupDirWriter writer(options.to_dir);
  backup::BackupStreamDecoder decoder(&writer);
  const auto started = std::chrono::steady_clock::now();
  Status stream_error;  // the decoder's or the writer's: a damaged stream, a disk error
  Result<HttpReply> reply = client.Download(kBackupTarget, [&](std::string_view bytes) {
    stream_error = decoder.Feed(bytes);
    return stream_error;
  });

  auto discard = [&](const std::string& message) {
    writer.RemoveWritten();
    std::error_code ignored;
    if (created) fs::remove(options.to_dir, ignored);  // only if still empty
    return Fail(err, kCommand, kBackupExitError, message + "\nNothing was kept in " + options.to_dir + ".");
  };
  if (!reply.ok()) {
    if (!stream_error.ok()) return discard("the backup failed: " + stream_error.message());
    if (decoder.bytes_read() > 0) {
      return discard("the backup stream broke off after " + std::to_string(decoder.bytes_read()) +
                     " bytes (" + reply.status().message() +
                     "): the server failed or the connection was lost; see the server's log");
    }
    return discard("cannot reach " + options.server + ": " + reply.status().message());
  }
  if (reply->status != 200) {
    return discard(DescribeReply(*reply, "backups need an admin key"));
  }
  if (Status finished = decoder.Finish(); !finished.ok()) return discard("the backup failed: " + finished.message());

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1f", seconds);
  out << "Backup of " << options.server << " written to " << options.to_dir << ": " << HumanBytes(writer.bytes_written())
      << " in " << elapsed << " s, every file checked against its SHA-256.\n"
      << "Restore it with: estoque restore --from " << options.to_dir << " --data NEW_DATA_DIR\n"
      << std::flush;
  return kBackupExitOk;
}

int RunRestoreCommand(const RestoreOptions& options, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kCommand = "restore";
  if (options.from_dir.empty() || options.data_dir.empty()) {
    return Fail(err, kCommand, kBackupExitUsage, "--from DIR and --data DIR are required");
  }
  Result<backup::Manifest> restored = backup::RestoreBackup(options.from_dir, options.data_dir);
  if (!restored.ok()) {
    return Fail(err, kCommand, kBackupExitError,
                restored.status().message() + "\nNothing was restored; " + options.data_dir + " is as it was.");
  }
  out << "Restored " << options.data_dir << " from " << options.from_dir << ": " << restored->files.size()
      << " files, " << HumanBytes(restored->total_bytes()) << ", taken at " << restored->created_at
      << " by estoque " << restored->server_version << ", every file checked against its SHA-256.\n"
      << "Start the server on it: estoque serve --data " << options.data_dir << "\n"
      << std::flush;
  return kBackupExitOk;
}

}  // namespace estoque::cli
