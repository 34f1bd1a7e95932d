// Folding of product names for search: what "cafe" must find in "Café" and "ACUCAR" in "Açúcar".
#pragma once

#include <string>
#include <string_view>

namespace estoque::catalog {

// `utf8` decomposed (NFD), without its nonspacing marks (accents, cedillas, tildes: Unicode
// category Mn), case-folded (full folding: "ß" -> "ss"), as UTF-8. Folding both sides of a search
// makes substring matching ignore case and accents: Fold("Açúcar") == Fold("ACUCAR") == "acucar".
// Invalid UTF-8 sequences become U+FFFD. ASCII input takes a fast path with the same result.
// Thread-safe (ICU's normalizer instance is immutable and shared).
std::string FoldForSearch(std::string_view utf8);

}  // namespace estoque::catalog
