#include "backup/manifest.h"

#include <set>
#include <utility>

#include <boost/json.hpp>

namespace estoque::backup {

namespace json = boost::json;

namespace {

Status Invalid(std::string reason) { return Status::InvalidArgument("backup manifest: " + std::move(reason)); }

const json::string* StringMember(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr ? value->if_string() : nullptr;
}

}  // namespace

uint64_t Manifest::total_bytes() const {
  uint64_t total = 0;
  for (const BackupFile& file : files) total += file.size_bytes;
  return total;
}

bool IsBackupFileName(std::string_view name) {
  if (name.empty() || name.size() > kBackupFileNameBytesMax) return false;
  if (name == "." || name == ".." || name == kManifestFileName) return false;
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '.' || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

std::string EncodeManifest(const Manifest& manifest) {
  json::array files;
  files.reserve(manifest.files.size());
  for (const BackupFile& file : manifest.files) {
    json::object entry{{"name", file.name}, {"size", file.size_bytes}};
    if (file.sha256.has_value()) entry["sha256"] = DigestHex(*file.sha256);
    files.emplace_back(std::move(entry));
  }
  const json::object root{{"format", kBackupFormatName},
                          {"format_version", manifest.format_version},
                          {"server_version", manifest.server_version},
                          {"data_format_version", manifest.data_format_version},
                          {"created_at", manifest.created_at},
                          {"files", std::move(files)}};
  return json::serialize(root);
}

Result<Manifest> DecodeManifest(std::string_view text, bool digests_required) {
  if (text.size() > kManifestBytesMax) return Invalid("larger than " + std::to_string(kManifestBytesMax) + " bytes");
  json::error_code error;
  const json::value parsed = json::parse(text, error);
  if (error) return Invalid("not JSON: " + error.message());
  const json::object* root = parsed.if_object();
  if (root == nullptr) return Invalid("not a JSON object");
  const json::string* format = StringMember(*root, "format");
  if (format == nullptr || *format != kBackupFormatName) {
    return Invalid("\"format\" must be \"" + std::string(kBackupFormatName) + "\"");
  }
  const json::value* version = root->if_contains("format_version");
  if (version == nullptr || !version->is_int64()) return Invalid("\"format_version\" must be an integer");
  if (version->as_int64() != kBackupFormatVersion) {
    return Invalid("format_version " + std::to_string(version->as_int64()) + " is not supported (this estoque reads " +
                   std::to_string(kBackupFormatVersion) + ")");
  }
  Manifest manifest;
  for (const auto& [name, target] : {std::pair{"server_version", &manifest.server_version},
                                     std::pair{"data_format_version", &manifest.data_format_version},
                                     std::pair{"created_at", &manifest.created_at}}) {
    const json::string* value = StringMember(*root, name);
    if (value == nullptr) return Invalid("\"" + std::string(name) + "\" must be a string");
    *target = std::string(*value);
  }
  if (manifest.data_format_version.empty()) return Invalid("\"data_format_version\" is empty");
  const json::value* files = root->if_contains("files");
  if (files == nullptr || !files->is_array()) return Invalid("\"files\" must be an array");
  if (files->as_array().size() > kBackupFilesMax) {
    return Invalid("more than " + std::to_string(kBackupFilesMax) + " files");
  }
  std::set<std::string, std::less<>> names;
  for (const json::value& item : files->as_array()) {
    const std::string where = "files[" + std::to_string(manifest.files.size()) + "]";
    const json::object* entry = item.if_object();
    if (entry == nullptr) return Invalid(where + " must be an object");
    const json::string* name = StringMember(*entry, "name");
    if (name == nullptr || !IsBackupFileName(*name)) return Invalid(where + ".name is not a valid file name");
    if (!names.insert(std::string(*name)).second) return Invalid("file " + std::string(*name) + " is listed twice");
    const json::value* size = entry->if_contains("size");
    if (size == nullptr || !(size->is_uint64() || (size->is_int64() && size->as_int64() >= 0))) {
      return Invalid(where + ".size must be a non-negative integer");
    }
    BackupFile file;
    file.name = std::string(*name);
    file.size_bytes = size->is_uint64() ? size->as_uint64() : static_cast<uint64_t>(size->as_int64());
    const json::value* digest = entry->if_contains("sha256");
    if (digests_required) {
      const json::string* hex = digest != nullptr ? digest->if_string() : nullptr;
      std::optional<Sha256Digest> parsed_digest = hex != nullptr ? ParseDigestHex(*hex) : std::nullopt;
      if (!parsed_digest) return Invalid(where + ".sha256 must be 64 hex digits");
      file.sha256 = *parsed_digest;
    } else if (digest != nullptr) {
      return Invalid(where + ".sha256 is not expected here");
    }
    manifest.files.push_back(std::move(file));
  }
  return manifest;
}

}  // namespace estoque::backup
