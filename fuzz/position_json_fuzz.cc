// Fuzz target: the POST /v1/posicoes decoder (api::DecodePositionsBody, the seed's queue message),
// with and without the GTIN check-digit rule and per-branch zones. Input: a request body.
// Checks: an error is one of the documented 400s; every decoded position obeys the domain rules;
// and our own encoding of the positions (EncodePosition, what GET answers) decodes back to the
// same positions.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "api/position_json.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "domain/product_name.h"
#include "fuzz_support.h"

namespace estoque::fuzz {
namespace {

void CheckPosition(const domain::Position& position, bool require_check_digit) {
  FUZZ_CHECK(domain::ValidateBarcode(position.barcode, require_check_digit).ok(), position.barcode);
  FUZZ_CHECK(domain::ValidateBranch(position.branch).ok(), position.branch);
  FUZZ_CHECK(domain::ValidateProductName(position.product_name).ok(), position.product_name);
  FUZZ_CHECK(position.quantity_milli >= -limits::kQuantityAbsMilliMax &&
                 position.quantity_milli <= limits::kQuantityAbsMilliMax,
             std::to_string(position.quantity_milli));
  FUZZ_CHECK(position.updated_at_us >= 0, std::to_string(position.updated_at_us));
}

void DecodeWith(std::string_view body, const api::PositionDecodeOptions& options) {
  const api::ApiResult<std::vector<domain::Position>> decoded =
      api::DecodePositionsBody(body, options);
  if (!decoded.ok()) {
    CheckBadRequest(decoded.error(), {"invalid_json", "too_many_items", "empty", "invalid_items"});
    return;
  }
  const std::vector<domain::Position>& positions = decoded.value();
  FUZZ_CHECK(!positions.empty() && positions.size() <= limits::kItemsPerMessageMax,
             std::to_string(positions.size()) + " positions");
  std::string encoded = "[";
  for (const domain::Position& position : positions) {
    CheckPosition(position, options.require_gtin_check_digit);
    if (encoded.size() > 1) encoded += ',';
    const domain::TimeZone zone = options.zone_of ? options.zone_of(position.branch)
                                                  : options.time_zone;
    encoded += api::EncodePosition(position, zone);
  }
  encoded += ']';
  const api::ApiResult<std::vector<domain::Position>> again =
      api::DecodePositionsBody(encoded, options);
  FUZZ_CHECK(again.ok(), "our own encoding is refused: " + encoded + " -> " +
                             (again.ok() ? "" : api::RenderApiError(again.error())));
  FUZZ_CHECK(again.value() == positions, "round trip changed the positions: " + encoded);
}

}  // namespace
}  // namespace estoque::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estoque;
  const fuzz::Zones& zones = fuzz::Zones::Get();
  const std::string_view body = fuzz::AsText(data, size);
  api::PositionDecodeOptions plain{zones.sao_paulo, false, nullptr};
  fuzz::DecodeWith(body, plain);
  api::PositionDecodeOptions strict{zones.sao_paulo, true,
                                    [&zones](std::string_view branch) { return zones.Of(branch); }};
  fuzz::DecodeWith(body, strict);
  return 0;
}
