#include "backup/sha256.h"

#include <cstdio>
#include <cstdlib>

#include <openssl/evp.h>

namespace estoque::backup {

namespace {

// OpenSSL's digest calls fail only on allocation failure or a broken library: not an error a
// caller could act on.
void Require(int openssl_result, const char* what) {
  if (openssl_result == 1) return;
  std::fprintf(stderr, "estoque: OpenSSL %s failed\n", what);
  std::abort();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

struct Sha256::Context {
  EVP_MD_CTX* evp = nullptr;
};

Sha256::Sha256() : context_(new Context) {
  context_->evp = EVP_MD_CTX_new();
  if (context_->evp == nullptr) Require(0, "EVP_MD_CTX_new");
  Require(EVP_DigestInit_ex(context_->evp, EVP_sha256(), nullptr), "EVP_DigestInit_ex");
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(context_->evp);
  delete context_;
}

void Sha256::Update(std::string_view bytes) {
  if (bytes.empty()) return;
  Require(EVP_DigestUpdate(context_->evp, bytes.data(), bytes.size()), "EVP_DigestUpdate");
}

Sha256Digest Sha256::Finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  Require(EVP_DigestFinal_ex(context_->evp, digest.data(), &length), "EVP_DigestFinal_ex");
  if (length != kSha256Bytes) Require(0, "EVP_DigestFinal_ex length");
  Require(EVP_DigestInit_ex(context_->evp, EVP_sha256(), nullptr), "EVP_DigestInit_ex");
  return digest;
}

std::string DigestHex(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest.size());
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

std::optional<Sha256Digest> ParseDigestHex(std::string_view hex) {
  if (hex.size() != 2 * kSha256Bytes) return std::nullopt;
  Sha256Digest digest{};
  for (std::size_t i = 0; i < kSha256Bytes; ++i) {
    const int high = HexValue(hex[2 * i]);
    const int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<unsigned char>(high << 4 | low);
  }
  return digest;
}

}  // namespace estoque::backup
