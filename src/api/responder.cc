// Responder's adaptation of streamed bodies for callables that take whole responses.
#include <string>
#include <vector>

#include <boost/beast/http/status.hpp>

#include "api/api_error.h"
#include "api/http_types.h"

namespace estoque::api {

namespace {

// Bytes asked of a body source per read.
constexpr std::size_t kReadWholeChunkBytes = 64 * 1024;

}  // namespace

void Responder::ReadWhole(BodySource& body, HttpResponse& response) {
  std::string bytes;
  std::vector<char> chunk(kReadWholeChunkBytes);
  while (bytes.size() < body.size()) {
    Result<std::size_t> got = body.Read(chunk);
    if (!got.ok() || *got == 0) {
      response = MakeErrorResponse(
          MakeApiError(boost::beast::http::status::internal_server_error, "internal", "internal error"),
          response.version(), /*keep_alive=*/false);
      return;
    }
    bytes.append(chunk.data(), *got);
  }
  response.body() = std::move(bytes);
  response.prepare_payload();
}

}  // namespace estoque::api
