#include "load/response_json.h"

#include <boost/json.hpp>

#include "domain/timestamp.h"

namespace estoque::load {

namespace {

// Response bodies are small: parse them into a stack buffer, falling back to the heap only for
// unexpectedly large ones.
constexpr std::size_t kParseBufferBytes = 4096;

template <typename Fn>
auto WithParsedObject(std::string_view body, Fn&& fn) -> decltype(fn(boost::json::object())) {
  unsigned char buffer[kParseBufferBytes];
  boost::json::monotonic_resource resource(buffer, sizeof(buffer));
  boost::system::error_code error;
  const boost::json::value root = boost::json::parse(body, error, &resource);
  if (error) return Status::InvalidArgument("response is not JSON: " + error.message());
  const boost::json::object* object = root.if_object();
  if (object == nullptr) return Status::InvalidArgument("response is not a JSON object");
  return fn(*object);
}

}  // namespace

Result<uint64_t> ParseAcceptedItems(std::string_view body) {
  return WithParsedObject(body, [](const boost::json::object& object) -> Result<uint64_t> {
    const boost::json::value* items = object.if_contains("itens");
    if (items != nullptr && items->is_uint64()) return items->get_uint64();
    if (items != nullptr && items->is_int64() && items->get_int64() >= 0) {
      return static_cast<uint64_t>(items->get_int64());
    }
    return Status::InvalidArgument("response has no integer \"itens\"");
  });
}

Result<int64_t> ParsePositionTimeMicros(std::string_view body) {
  return WithParsedObject(body, [](const boost::json::object& object) -> Result<int64_t> {
    const boost::json::value* time = object.if_contains("data_atualizacao_posicao_estoque");
    if (time == nullptr || !time->is_string()) {
      return Status::InvalidArgument("response has no \"data_atualizacao_posicao_estoque\"");
    }
    // The text carries its offset, so the zone argument is never consulted for it.
    static const Result<domain::TimeZone> utc = domain::TimeZone::Locate("UTC");
    if (!utc.ok()) return utc.status();
    return domain::ParseTimestampMicros(time->get_string(), *utc);
  });
}

}  // namespace estoque::load
