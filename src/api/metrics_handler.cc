// GET /metrics.
#include <chrono>
#include <optional>

#include <boost/beast/http/field.hpp>

#include "api/handlers.h"
#include "api/metrics_text.h"

namespace estoque::api::handlers {

void Metrics(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                      context.started).count();
  std::optional<store::CapacityUsage> usage;
  if (context.config->capacity_usage) usage = context.config->capacity_usage();
  HttpResponse response{boost::beast::http::status::ok, request.http.version()};
  response.set(boost::beast::http::field::content_type, kMetricsContentType);
  response.body() = MetricsText(uptime, usage);
  response.keep_alive(request.http.keep_alive());
  response.prepare_payload();
  Respond(respond, std::move(response));
}

}  // namespace estoque::api::handlers
