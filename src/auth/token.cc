#include "auth/token.h"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace estoque::auth {
namespace {

constexpr std::size_t kTokenRandomBytes = 32;
constexpr std::size_t kKeyIdRandomBytes = 8;

Status RandomBytes(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    return Status::Unavailable("the system's random generator failed");
  }
  return Status::Ok();
}

std::string Base64Url(const unsigned char* bytes, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t bits = 0;
  int bit_count = 0;
  for (std::size_t i = 0; i < size; ++i) {
    bits = (bits << 8) | bytes[i];
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      out.push_back(kAlphabet[(bits >> bit_count) & 0x3f]);
    }
  }
  if (bit_count > 0) out.push_back(kAlphabet[(bits << (6 - bit_count)) & 0x3f]);
  return out;
}

}  // namespace

Result<std::string> GenerateToken() {
  std::array<unsigned char, kTokenRandomBytes> bytes{};
  Status random = RandomBytes(bytes.data(), bytes.size());
  if (!random.ok()) return random;
  std::string token(kTokenPrefix);
  token += Base64Url(bytes.data(), bytes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return token;
}

Result<std::string> GenerateKeyId() {
  std::array<unsigned char, kKeyIdRandomBytes> bytes{};
  Status random = RandomBytes(bytes.data(), bytes.size());
  if (!random.ok()) return random;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "k_";
  for (unsigned char byte : bytes) {
    id.push_back(kHex[byte >> 4]);
    id.push_back(kHex[byte & 0xf]);
  }
  return id;
}

std::string HashToken(std::string_view token) {
  std::string hash(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         reinterpret_cast<unsigned char*>(hash.data()));
  return hash;
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace estoque::auth
