// Fuzz target: the decoders of request text that is not a JSON body: page cursors
// (api/cursor.h), request targets, query strings and percent-encoding (api/http_util.h), and the
// domain's parsers of field text (quantities, times, identifiers, enumerations).
// Input: one selector byte, then the text. 'C' cursor, 'U' request target, 'Q' quantity,
// 'T' time, 'I' identifiers and names; any other byte: byte % 5.
// Checks: each parser's documented contract, and that what we format parses back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/cursor.h"
#include "api/http_util.h"
#include "api/json_reading.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "domain/catalog_fields.h"
#include "domain/movement.h"
#include "domain/product_name.h"
#include "domain/quantity.h"
#include "domain/sale.h"
#include "domain/timestamp.h"
#include "domain/transfer.h"
#include "domain/unit.h"
#include "fuzz_support.h"

namespace estoque::fuzz {
namespace {

void Cursor(std::string_view text) {
  Result<std::string> raw = api::DecodeCursor(text);
  if (raw.ok()) FUZZ_CHECK(api::EncodeCursor(*raw) == text, "a cursor that is not canonical");
  const std::string encoded = api::EncodeCursor(text);
  if (encoded.size() <= api::kCursorCharsMax) {
    Result<std::string> back = api::DecodeCursor(encoded);
    FUZZ_CHECK(back.ok() && *back == text, "cursor round trip failed: " + encoded);
  }
}

void Target(std::string_view target) {
  const api::SplitTarget split = api::SplitRequestTarget(target);
  FUZZ_CHECK(split.path.size() + split.query.size() <= target.size(), "split grew the target");
  if (std::optional<api::PathSegments> segments = api::SplitPath(split.path)) {
    std::string joined;
    for (std::string_view segment : *segments) joined += "/" + std::string(segment);
    FUZZ_CHECK(joined == split.path, "segments do not rejoin to the path");
    for (std::string_view segment : *segments) {
      if (std::optional<std::string> decoded = api::PercentDecode(segment, false)) {
        FUZZ_CHECK(decoded->size() <= segment.size(), "decoding grew a segment");
      }
    }
  }
  for (std::string_view name : {"limit", "cursor", "filial", "q", "em", "desde", "status"}) {
    bool malformed = true;
    std::optional<std::string> value = api::FindQueryParameter(split.query, name, &malformed);
    FUZZ_CHECK(!(value && malformed), "a value and malformed at once");
    if (value && name == std::string_view("limit")) {
      if (std::optional<std::size_t> limit = api::ParsePageSize(*value)) {
        FUZZ_CHECK(*limit >= 1 && *limit <= limits::kPageLimitMax, std::to_string(*limit));
      }
    }
  }
  (void)api::IsJsonMediaType(target);
  (void)api::ParsePageSize(target);
}

void Quantity(std::string_view text) {
  Result<int64_t> milli = domain::ParseQuantityMilli(text);
  if (!milli.ok()) return;
  FUZZ_CHECK(api::json::IsJsonNumberText(text), "accepted a non-JSON number");
  FUZZ_CHECK(*milli >= -limits::kQuantityAbsMilliMax && *milli <= limits::kQuantityAbsMilliMax,
             std::to_string(*milli));
  const std::string formatted = domain::FormatQuantityMilli(*milli);
  FUZZ_CHECK(api::json::IsJsonNumberText(formatted), formatted);
  Result<int64_t> back = domain::ParseQuantityMilli(formatted);
  FUZZ_CHECK(back.ok() && *back == *milli, "quantity round trip failed: " + formatted);
}

void Time(std::string_view text) {
  const Zones& zones = Zones::Get();
  for (const domain::TimeZone& zone : {zones.sao_paulo, zones.manaus, zones.utc}) {
    Result<int64_t> at = domain::ParseTimestampMicros(text, zone);
    if (!at.ok()) continue;
    FUZZ_CHECK(*at >= 0, std::to_string(*at));
    const std::string rfc3339 = domain::FormatRfc3339(*at, zone);
    for (const domain::TimeZone& other : {zones.sao_paulo, zones.utc}) {
      Result<int64_t> back = domain::ParseTimestampMicros(rfc3339, other);
      FUZZ_CHECK(back.ok() && *back == *at, "RFC 3339 round trip failed: " + rfc3339);
    }
    // The seed's format drops the sub-second digits and, in a DST fold, names the earlier of two
    // instants: reading it back gives an instant with the same local time.
    const std::string seed = domain::FormatSeedLocalTime(*at, zone);
    Result<int64_t> local = domain::ParseTimestampMicros(seed, zone);
    FUZZ_CHECK(local.ok() && domain::FormatSeedLocalTime(*local, zone) == seed,
               "seed format round trip failed: " + seed);
  }
}

template <typename Parse, typename Name>
void CheckEnumName(std::string_view text, Parse parse, Name name) {
  if (auto value = parse(text)) FUZZ_CHECK(name(*value) == text, "name round trip: " + std::string(text));
}

void Identifiers(std::string_view text) {
  if (domain::ValidateBarcode(text, false).ok()) {
    FUZZ_CHECK(text.size() >= limits::kBarcodeDigitsMin && text.size() <= limits::kBarcodeDigitsMax,
               std::string(text));
    for (char c : text) FUZZ_CHECK(c >= '0' && c <= '9', std::string(text));
    (void)domain::ValidateBarcode(text, true);
  } else {
    FUZZ_CHECK(!domain::ValidateBarcode(text, true).ok(), "check digit rule accepted more");
  }
  if (domain::ValidateBranch(text).ok()) {
    FUZZ_CHECK(text.size() >= limits::kBranchCharsMin && text.size() <= limits::kBranchCharsMax,
               std::string(text));
  }
  const std::ptrdiff_t code_points = domain::CountUtf8CodePoints(text);
  if (domain::ValidateProductName(text).ok()) {
    FUZZ_CHECK(code_points >= 1 &&
                   code_points <= static_cast<std::ptrdiff_t>(limits::kProductNameCodePointsMax),
               std::to_string(code_points));
  }
  if (domain::ValidateCatalogText(text, limits::kCategoryCodePointsMax).ok()) {
    FUZZ_CHECK(code_points >= 0 &&
                   code_points <= static_cast<std::ptrdiff_t>(limits::kCategoryCodePointsMax),
               std::to_string(code_points));
  }
  if (domain::IsValidId(text)) FUZZ_CHECK(!text.empty() && text.size() <= domain::kIdCharsMax, text);
  (void)domain::ValidateState(text);
  CheckEnumName(text, domain::ParseUnit, domain::UnitName);
  CheckEnumName(text, domain::ParseMovementKind, domain::MovementKindName);
  CheckEnumName(text, domain::ParseAdjustReason, domain::AdjustReasonName);
  CheckEnumName(text, domain::ParseTransferStatus, domain::TransferStatusName);
  CheckEnumName(text, domain::ParseReservationStatus, domain::ReservationStatusName);
}

}  // namespace
}  // namespace estoque::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estoque::fuzz;
  if (size == 0) return 0;
  const std::string_view text = AsText(data + 1, size - 1);
  switch (data[0]) {
    case 'C': Cursor(text); break;
    case 'U': Target(text); break;
    case 'Q': Quantity(text); break;
    case 'T': Time(text); break;
    case 'I': Identifiers(text); break;
    default: {
      constexpr void (*kDecoders[])(std::string_view) = {Cursor, Target, Quantity, Time, Identifiers};
      kDecoders[data[0] % 5](text);
    }
  }
  return 0;
}
