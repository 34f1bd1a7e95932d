// GET /v1/admin/backup: a consistent copy of the whole database, streamed while the server keeps
// serving (backup/snapshotter.h takes it; the connection sends it piece by piece).
#include <memory>
#include <span>
#include <string>
#include <utility>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "api/handlers.h"
#include "api/request_checks.h"
#include "backup/snapshotter.h"

namespace estoque::api::handlers {
namespace {

namespace http = boost::beast::http;

// The snapshot's stream as an HTTP body. Destroying it (body sent, or the connection gone)
// destroys the stream, which removes the checkpoint and frees the next backup.
class SnapshotBody final : public BodySource {
 public:
  explicit SnapshotBody(std::unique_ptr<backup::SnapshotStream> stream) : stream_(std::move(stream)) {}
  uint64_t size() const override { return stream_->size_bytes(); }
  Result<std::size_t> Read(std::span<char> buffer) override { return stream_->Read(buffer); }

 private:
  std::unique_ptr<backup::SnapshotStream> stream_;
};

ApiError BackupError(const Status& status) {
  if (status.code() == StatusCode::kConflict) {
    return MakeApiError(http::status::conflict, "backup_in_progress", status.message());
  }
  return ApiErrorFromStatus(status);
}

}  // namespace

void Backup(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (context.backups == nullptr) {
    RespondError(respond, request.http,
                 MakeApiError(http::status::not_found, "backup_unavailable", "this server does not take backups"));
    return;
  }
  if (!CheckAcceptingWrites(context, request, respond)) return;
  const unsigned version = request.http.version();
  const bool keep_alive = request.http.keep_alive();
  Responder taken = std::move(respond);
  respond = nullptr;
  context.backups->BeginAsync([respond = std::move(taken), version, keep_alive](
                                  Result<std::unique_ptr<backup::SnapshotStream>> stream) {
    if (!stream.ok()) {
      respond(MakeErrorResponse(BackupError(stream.status()), version, keep_alive));
      return;
    }
    HttpResponse head(http::status::ok, version);
    head.keep_alive(keep_alive);
    head.set(http::field::content_type, "application/octet-stream");
    head.set(http::field::content_disposition, "attachment; filename=\"estoque-backup.bin\"");
    head.set(http::field::cache_control, "no-store");
    respond(std::move(head), std::make_unique<SnapshotBody>(std::move(*stream)));
  });
}

}  // namespace estoque::api::handlers
