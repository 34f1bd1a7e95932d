// AWS credentials and region, resolved the way the AWS SDKs' default chain does, limited to the
// sources that need no network (docs/AWS.md):
//   credentials: 1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
//                2. the profile in the shared credentials file
//                   (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials);
//                3. the profile in the config file (AWS_CONFIG_FILE, default ~/.aws/config);
//   region:      1. AWS_REGION; 2. AWS_DEFAULT_REGION; 3. `region` of the profile in the config file;
//   the profile is AWS_PROFILE, default "default".
// Not implemented: IMDS (EC2 instance roles), ECS/EKS container credentials, SSO, assume-role,
// web identity and credential_process; a profile that asks for one of them is an error that says
// so. The environment and the home directory are parameters, so tests touch neither.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::aws {

// Secret material: never log secret_access_key or session_token.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term (IAM user) credentials
};

// Reads one environment variable: its value, or nullopt when unset. Must be thread-safe if the
// resolution functions are called from several threads.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// A lookup over this process's environment (getenv). Thread-safe while nothing calls setenv.
EnvironmentLookup ProcessEnvironment();

// What the resolution reads. An environment variable set to "" counts as unset, as in the SDKs.
struct ConfigSources {
  EnvironmentLookup environment;  // REQUIRES: non-null
  // Holds .aws/ when AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE are unset, and replaces a
  // leading "~/" in them. Empty = the environment's HOME; with neither, only files named by
  // those variables (without "~/") are read.
  std::string home_directory;
};

struct ResolvedCredentials {
  Credentials credentials;
  // Where they came from, for a startup log line: "environment" or "<file> [profile <name>]".
  std::string source;
};

// The first source in the chain above that has credentials.
// InvalidArgument when a source has half of a pair (AWS_ACCESS_KEY_ID without
// AWS_SECRET_ACCESS_KEY or the reverse; a profile with aws_access_key_id but no
// aws_secret_access_key or the reverse), when the profile asks for a source not implemented
// (role_arn, sso_*, credential_process, web_identity_token_file), or when a file is malformed
// (LoadProfileFile); Unavailable when a file exists but cannot be read; NotFound, naming the
// variables and files looked at, when no source has credentials (or AWS_PROFILE names a profile
// in neither file).
Result<ResolvedCredentials> ResolveCredentials(const ConfigSources& sources);

// The region, from the chain above. NotFound naming AWS_REGION, AWS_DEFAULT_REGION and the config
// file's profile when none is set; InvalidArgument when the value is not a region name
// (letters, digits and '-') or the config file is malformed; Unavailable as ResolveCredentials.
Result<std::string> ResolveRegion(const ConfigSources& sources);

// The profile the chain reads: AWS_PROFILE, or "default".
std::string ProfileName(const ConfigSources& sources);

// The value of environment variable `name`, nullopt when unset or "".
std::optional<std::string> EnvironmentValue(const ConfigSources& sources, std::string_view name);

}  // namespace estoque::aws
