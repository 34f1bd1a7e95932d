// The AWS shared credentials and config files (~/.aws/credentials, ~/.aws/config): INI files of
// profiles, read the way the AWS SDKs read them (docs/AWS.md):
//   - lines whose first non-blank character is '#' or ';' are comments; blank lines are ignored;
//   - "[name]" starts a profile; anything after the ']' that starts with '#' or ';' is a comment;
//     in the credentials file the section name is the profile name; in the config file profiles
//     are "[profile name]" except "[default]" (which may also be "[profile default]"), and other
//     sections ("[sso-session x]", "[services x]", "[name]" without the prefix) are skipped;
//     a profile name holding whitespace is skipped, as the SDKs do;
//   - "key = value": the key is trimmed and lowercased (keys are case-insensitive); the value is
//     trimmed, and " #" / " ;" (a tab works as the space) starts a comment;
//   - an indented line right after a property continues its value (sub-properties such as
//     "s3 =\n  max_concurrent_requests = 10"): appended after a '\n';
//   - a repeated key or profile: the later value wins, profiles are merged.
// Pure functions over text (LoadProfileFile reads a file); thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::aws {

// A file must be small: a larger one is refused rather than read whole.
inline constexpr std::size_t kProfileFileBytesMax = 1 << 20;

enum class ProfileFileKind { kCredentials, kConfig };

// Lowercased property name -> value.
using ProfileProperties = std::map<std::string, std::string>;

struct ProfileFile {
  std::map<std::string, ProfileProperties> profiles;  // by profile name, case-sensitive

  // The profile's properties, or nullptr when the file has no such profile.
  const ProfileProperties* Find(std::string_view profile) const;
};

// Parses the text of a credentials or config file. `file_name` only names the file in errors.
// InvalidArgument "<file_name>:<line>: <reason>" for a section without its closing ']', a property
// before any section, a line that is neither comment, section nor "key = value", an empty key,
// and an indented line that follows no property.
Result<ProfileFile> ParseProfileFile(std::string_view text, ProfileFileKind kind,
                                     std::string_view file_name);

// Reads and parses the file at `path`. A file that does not exist is an empty ProfileFile (the
// SDKs treat it so). Unavailable when it exists but cannot be read; InvalidArgument when it is
// larger than kProfileFileBytesMax, is not a regular file, or does not parse.
Result<ProfileFile> LoadProfileFile(const std::filesystem::path& path, ProfileFileKind kind);

}  // namespace estoque::aws
