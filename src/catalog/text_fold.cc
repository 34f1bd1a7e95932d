#include "catalog/text_fold.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace estoque::catalog {

namespace {

bool IsAscii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

std::string FoldForSearch(std::string_view utf8) {
  if (IsAscii(utf8)) {  // most names: no decomposition, and case folding is ASCII lower-casing
    std::string folded(utf8);
    for (char& c : folded) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return folded;
  }
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(error);
  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString decomposed;
  if (U_SUCCESS(error)) nfd->normalize(text, decomposed, error);
  // ICU's normalization data is built into libicudata; failing to load it is a broken install.
  if (U_FAILURE(error)) decomposed = text;
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    if (u_charType(c) != U_NON_SPACING_MARK) stripped.append(c);
    i += U16_LENGTH(c);
  }
  stripped.foldCase(U_FOLD_CASE_DEFAULT);
  std::string folded;
  stripped.toUTF8String(folded);
  return folded;
}

}  // namespace estoque::catalog
