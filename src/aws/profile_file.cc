#include "aws/profile_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <system_error>

namespace estoque::aws {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (IsBlank(text.front()) || text.front() == '\r')) text.remove_prefix(1);
  while (!text.empty() && (IsBlank(text.back()) || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

bool HasBlank(std::string_view text) {
  for (char c : text) {
    if (IsBlank(c)) return true;
  }
  return false;
}

// A property value ends at " #", " ;", "\t#" or "\t;" (a comment must follow whitespace, so
// values such as secrets may hold '#' and ';').
std::string_view StripValueComment(std::string_view value) {
  for (std::size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == '#' || value[i] == ';') && IsBlank(value[i - 1])) return value.substr(0, i);
  }
  return value;
}

// The profile a section header names, or nullopt when the section is not a profile of this kind
// of file (the SDKs skip those sections and their properties).
std::optional<std::string> ProfileNameOf(std::string_view section, ProfileFileKind kind) {
  std::string_view name = section;
  if (kind == ProfileFileKind::kConfig && name != "default") {
    constexpr std::string_view kPrefix = "profile";
    if (name.substr(0, kPrefix.size()) != kPrefix || name.size() == kPrefix.size() ||
        !IsBlank(name[kPrefix.size()])) {
      return std::nullopt;
    }
    name = Trim(name.substr(kPrefix.size()));
  }
  if (name.empty() || HasBlank(name)) return std::nullopt;
  return std::string(name);
}

Status LineError(std::string_view file_name, std::size_t line_number, std::string_view reason) {
  return Status::InvalidArgument(std::string(file_name) + ":" + std::to_string(line_number) + ": " +
                                 std::string(reason));
}

}  // namespace

const ProfileProperties* ProfileFile::Find(std::string_view profile) const {
  auto it = profiles.find(std::string(profile));
  return it == profiles.end() ? nullptr : &it->second;
}

Result<ProfileFile> ParseProfileFile(std::string_view text, ProfileFileKind kind,
                                     std::string_view file_name) {
  ProfileFile file;
  bool in_section = false;
  ProfileProperties* profile = nullptr;  // null inside a skipped section
  bool property_open = false;              // the last line was a property (or continued one)
  std::string* continued_value = nullptr;  // that property's value; null in a skipped section
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;

    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;

    if (IsBlank(raw.front())) {  // a continuation of the previous property
      if (!property_open) {
        return LineError(file_name, line_number,
                         "indented line that continues no property (expected [profile] or key = value)");
      }
      if (continued_value != nullptr) *continued_value += "\n" + std::string(line);
      continue;
    }

    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      if (close == std::string_view::npos) {
        return LineError(file_name, line_number, "section header without its closing ']'");
      }
      const std::string_view rest = Trim(line.substr(close + 1));
      if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
        return LineError(file_name, line_number, "text after the section header's ']'");
      }
      in_section = true;
      property_open = false;
      continued_value = nullptr;
      std::optional<std::string> name = ProfileNameOf(Trim(line.substr(1, close - 1)), kind);
      profile = name ? &file.profiles[*name] : nullptr;
      continue;
    }

    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      return LineError(file_name, line_number, "expected a [profile] section or key = value");
    }
    if (!in_section) {
      return LineError(file_name, line_number, "property before any [profile] section");
    }
    const std::string_view key = Trim(line.substr(0, equals));
    if (key.empty()) return LineError(file_name, line_number, "property without a name");
    const std::string_view value = Trim(StripValueComment(line.substr(equals + 1)));
    property_open = true;
    continued_value = nullptr;
    if (profile != nullptr) {
      std::string& slot = (*profile)[Lowercase(key)];
      slot = std::string(value);
      continued_value = &slot;
    }
  }
  return file;
}

Result<ProfileFile> LoadProfileFile(const std::filesystem::path& path, ProfileFileKind kind) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) return ProfileFile{};
  if (error) {
    return Status::Unavailable("cannot read " + path.string() + ": " + error.message());
  }
  if (!std::filesystem::is_regular_file(status)) {
    return Status::InvalidArgument(path.string() + " is not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Unavailable("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  std::string text(kProfileFileBytesMax + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Status::Unavailable("cannot read " + path.string());
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kProfileFileBytesMax) {
    return Status::InvalidArgument(path.string() + " is larger than " +
                                   std::to_string(kProfileFileBytesMax) + " bytes");
  }
  return ParseProfileFile(text, kind, path.string());
}

}  // namespace estoque::aws
