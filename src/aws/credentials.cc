#include "aws/credentials.h"

#include <cassert>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "aws/profile_file.h"

namespace estoque::aws {
namespace {

constexpr std::string_view kDefaultProfile = "default";

// Profile properties that ask for a credential source estoque does not implement yet.
constexpr std::string_view kUnsupportedSourceProperties[] = {
    "role_arn", "sso_session", "sso_start_url", "credential_process", "web_identity_token_file",
};

// A path given in the environment, or home/<relative>; nullopt when neither can be known.
std::optional<std::filesystem::path> FilePath(const ConfigSources& sources,
                                              std::string_view variable,
                                              std::string_view relative_to_home) {
  std::optional<std::string> home = sources.home_directory.empty()
                                        ? EnvironmentValue(sources, "HOME")
                                        : std::optional<std::string>(sources.home_directory);
  if (std::optional<std::string> path = EnvironmentValue(sources, variable)) {
    if (path->starts_with("~/")) {
      if (!home) return std::filesystem::path(*path);  // read as given; it will not exist
      return std::filesystem::path(*home) / path->substr(2);
    }
    return std::filesystem::path(*path);
  }
  if (!home) return std::nullopt;
  return std::filesystem::path(*home) / relative_to_home;
}

struct ProfileFiles {
  std::optional<std::filesystem::path> credentials_path;
  std::optional<std::filesystem::path> config_path;
  ProfileFile credentials;
  ProfileFile config;
};

Result<ProfileFiles> LoadProfileFiles(const ConfigSources& sources, bool with_credentials_file) {
  ProfileFiles files;
  if (with_credentials_file) {
    files.credentials_path = FilePath(sources, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    if (files.credentials_path) {
      Result<ProfileFile> loaded =
          LoadProfileFile(*files.credentials_path, ProfileFileKind::kCredentials);
      if (!loaded.ok()) return loaded.status();
      files.credentials = std::move(loaded).value();
    }
  }
  files.config_path = FilePath(sources, "AWS_CONFIG_FILE", ".aws/config");
  if (files.config_path) {
    Result<ProfileFile> loaded = LoadProfileFile(*files.config_path, ProfileFileKind::kConfig);
    if (!loaded.ok()) return loaded.status();
    files.config = std::move(loaded).value();
  }
  return files;
}

std::string Describe(const std::optional<std::filesystem::path>& path) {
  return path ? path->string() : std::string("(no file: HOME unset)");
}

std::optional<std::string> PropertyValue(const ProfileProperties& properties, std::string_view key) {
  auto it = properties.find(std::string(key));
  if (it == properties.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// Credentials held by one profile: the credentials, nullopt when it has none, or an error.
Result<std::optional<ResolvedCredentials>> CredentialsOfProfile(const ProfileProperties& properties,
                                                                const std::string& where) {
  std::optional<std::string> access_key_id = PropertyValue(properties, "aws_access_key_id");
  std::optional<std::string> secret = PropertyValue(properties, "aws_secret_access_key");
  if (access_key_id && secret) {
    ResolvedCredentials resolved;
    resolved.credentials.access_key_id = std::move(*access_key_id);
    resolved.credentials.secret_access_key = std::move(*secret);
    resolved.credentials.session_token =
        PropertyValue(properties, "aws_session_token").value_or(std::string());
    resolved.source = where;
    return std::optional<ResolvedCredentials>(std::move(resolved));
  }
  if (access_key_id || secret) {
    return Status::InvalidArgument(where + " has " +
                                   (access_key_id ? "aws_access_key_id but no aws_secret_access_key"
                                                  : "aws_secret_access_key but no aws_access_key_id"));
  }
  for (std::string_view property : kUnsupportedSourceProperties) {
    if (properties.contains(std::string(property))) {
      return Status::InvalidArgument(
          where + " sets " + std::string(property) +
          ", a credential source estoque does not support yet; give aws_access_key_id and "
          "aws_secret_access_key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) instead");
    }
  }
  return std::optional<ResolvedCredentials>();
}

bool IsRegionName(std::string_view region) {
  if (region.empty()) return false;
  for (char c : region) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

EnvironmentLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<std::string> EnvironmentValue(const ConfigSources& sources, std::string_view name) {
  assert(sources.environment);
  std::optional<std::string> value = sources.environment(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::string ProfileName(const ConfigSources& sources) {
  return EnvironmentValue(sources, "AWS_PROFILE").value_or(std::string(kDefaultProfile));
}

Result<ResolvedCredentials> ResolveCredentials(const ConfigSources& sources) {
  std::optional<std::string> access_key_id = EnvironmentValue(sources, "AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = EnvironmentValue(sources, "AWS_SECRET_ACCESS_KEY");
  if (access_key_id && secret) {
    ResolvedCredentials resolved;
    resolved.credentials.access_key_id = std::move(*access_key_id);
    resolved.credentials.secret_access_key = std::move(*secret);
    resolved.credentials.session_token =
        EnvironmentValue(sources, "AWS_SESSION_TOKEN").value_or(std::string());
    resolved.source = "environment";
    return resolved;
  }
  if (access_key_id || secret) {
    return Status::InvalidArgument(access_key_id
                                       ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                                       : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  }

  Result<ProfileFiles> files = LoadProfileFiles(sources, /*with_credentials_file=*/true);
  if (!files.ok()) return files.status();
  const std::string profile = ProfileName(sources);
  const std::string where_suffix = " [profile " + profile + "]";
  bool profile_found = false;
  const std::pair<const ProfileFile*, const std::optional<std::filesystem::path>*> in_order[] = {
      {&files->credentials, &files->credentials_path},
      {&files->config, &files->config_path},
  };
  for (const auto& [file, path] : in_order) {
    const ProfileProperties* properties = file->Find(profile);
    if (properties == nullptr) continue;
    profile_found = true;
    Result<std::optional<ResolvedCredentials>> found =
        CredentialsOfProfile(*properties, Describe(*path) + where_suffix);
    if (!found.ok()) return found.status();
    if (found->has_value()) return std::move(**found);
  }

  const std::string looked_at =
      Describe(files->credentials_path) + " and " + Describe(files->config_path);
  if (!profile_found && EnvironmentValue(sources, "AWS_PROFILE")) {
    return Status::NotFound("AWS_PROFILE names profile '" + profile + "', which is in neither " +
                            looked_at);
  }
  return Status::NotFound(
      "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are unset, and profile '" +
      profile + "' has no aws_access_key_id and aws_secret_access_key in " + looked_at +
      " (instance, container, SSO and assume-role credentials are not supported yet)");
}

Result<std::string> ResolveRegion(const ConfigSources& sources) {
  std::optional<std::string> region;
  std::string where;
  for (std::string_view variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    region = EnvironmentValue(sources, variable);
    if (region) {
      where = std::string(variable);
      break;
    }
  }
  std::optional<std::filesystem::path> config_path;
  if (!region) {
    Result<ProfileFiles> files = LoadProfileFiles(sources, /*with_credentials_file=*/false);
    if (!files.ok()) return files.status();
    config_path = files->config_path;
    const std::string profile = ProfileName(sources);
    where = Describe(config_path) + " [profile " + profile + "] region";
    if (const ProfileProperties* properties = files->config.Find(profile)) {
      region = PropertyValue(*properties, "region");
    }
  }
  if (!region) {
    return Status::NotFound("no AWS region: AWS_REGION and AWS_DEFAULT_REGION are unset, and " +
                            where + " is not set");
  }
  if (!IsRegionName(*region)) {
    return Status::InvalidArgument(where + " '" + *region +
                                   "' is not a region name (letters, digits and '-')");
  }
  return std::move(*region);
}

}  // namespace estoque::aws
