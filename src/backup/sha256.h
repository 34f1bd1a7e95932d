// Sha256: an incremental SHA-256 (OpenSSL), the digest a backup keeps of each of its files.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace estoque::backup {

inline constexpr std::size_t kSha256Bytes = 32;
using Sha256Digest = std::array<unsigned char, kSha256Bytes>;

// Not thread-safe; one per stream of bytes.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // The digest of everything given to Update since construction or the last Finish, and starts
  // over.
  Sha256Digest Finish();

 private:
  struct Context;
  Context* context_;
};

// 64 lower-case hex digits.
std::string DigestHex(const Sha256Digest& digest);
// The digest written by DigestHex (either case); nullopt for anything else.
std::optional<Sha256Digest> ParseDigestHex(std::string_view hex);

}  // namespace estoque::backup
