// The two server answers the load generator reads: 202 {"message_id","itens"} of a POST, and the
// event time of a position from GET /v1/posicoes/{codigo_barra}/{filial}.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace estoque::load {

// "itens" of a 202 body. InvalidArgument if the body is not a JSON object with an integer "itens".
Result<uint64_t> ParseAcceptedItems(std::string_view body);

// The instant of "data_atualizacao_posicao_estoque" (RFC 3339) in a position body, in UTC
// microseconds. InvalidArgument if missing or not a valid timestamp.
Result<int64_t> ParsePositionTimeMicros(std::string_view body);

}  // namespace estoque::load
