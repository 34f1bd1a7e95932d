#include "aws/sigv4.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <utility>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace estoque::aws {
namespace {

constexpr std::size_t kSha256Bytes = 32;
using Digest = std::array<unsigned char, kSha256Bytes>;

// OpenSSL's digest and MAC calls fail only on allocation failure or a broken library: not an
// error a caller could act on.
void Require(bool openssl_ok, const char* what) {
  if (openssl_ok) return;
  std::fprintf(stderr, "estoque: OpenSSL %s failed\n", what);
  std::abort();
}

Digest Sha256(std::string_view bytes) {
  Digest digest;
  unsigned int length = 0;
  Require(EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) == 1 &&
              length == kSha256Bytes,
          "EVP_Digest(SHA-256)");
  return digest;
}

Digest HmacSha256(std::string_view key, std::string_view data) {
  Digest mac;
  unsigned int length = 0;
  Require(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
               reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
               &length) != nullptr &&
              length == kSha256Bytes,
          "HMAC(SHA-256)");
  return mac;
}

std::string_view AsBytes(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

std::string Hex(const Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest.size());
  for (unsigned char byte : digest) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xf];
  }
  return hex;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX -> byte; '+' stays '+' (SigV4 queries encode a space as %20).
Result<std::string> PercentDecode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    const int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return Status::InvalidArgument("query: malformed %-escape in '" + std::string(text) + "'");
    }
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

bool IsTokenChar(unsigned char c) {
  constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         kTokenPunctuation.find(static_cast<char>(c)) != std::string_view::npos;
}

bool HasLineBreakOrNul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Trimmed, each run of spaces and tabs made one space (SigV4's "Trimall").
std::string CanonicalHeaderValue(std::string_view value) {
  std::string canonical;
  canonical.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !canonical.empty();
      continue;
    }
    if (pending_space) canonical += ' ';
    pending_space = false;
    canonical += c;
  }
  return canonical;
}

// RFC 3986 remove_dot_segments plus collapsing empty segments: "/a//./b/../c/" -> "/a/c/".
// A trailing slash survives, as does one implied by a final "." or "..".
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  std::size_t start = 1;  // path[0] == '/'
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    const bool last = end == path.size();
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = last;
    } else if (segment == ".") {
      trailing_slash = last;
    } else if (segment.empty()) {
      trailing_slash = last;
    } else {
      segments.push_back(segment);
      trailing_slash = false;
    }
    start = end + 1;
  }
  std::string normalized;
  for (std::string_view segment : segments) {
    normalized += '/';
    normalized += segment;
  }
  if (normalized.empty() || trailing_slash) normalized += '/';
  return normalized;
}

std::string CanonicalPath(std::string_view path, const SigningOptions& options) {
  const std::string normalized = options.normalize_path ? NormalizePath(path) : std::string(path);
  return options.double_encode_path ? UriEncode(normalized, /*keep_slash=*/true) : normalized;
}

// Query parameters with name and value each UriEncode'd, as the canonical query sorts them.
using EncodedQuery = std::vector<std::pair<std::string, std::string>>;

Result<EncodedQuery> ParseQuery(std::string_view query) {
  EncodedQuery parameters;
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view piece = query.substr(0, end);
    query.remove_prefix(end == std::string_view::npos ? query.size() : end + 1);
    if (piece.empty()) continue;
    const std::size_t equals = piece.find('=');
    Result<std::string> name = PercentDecode(piece.substr(0, equals));
    if (!name.ok()) return name.status();
    Result<std::string> value = PercentDecode(
        equals == std::string_view::npos ? std::string_view() : piece.substr(equals + 1));
    if (!value.ok()) return value.status();
    parameters.emplace_back(UriEncode(*name, false), UriEncode(*value, false));
  }
  return parameters;
}

std::string CanonicalQuery(EncodedQuery parameters) {
  std::sort(parameters.begin(), parameters.end());  // by encoded name, then encoded value
  std::string canonical;
  for (const auto& [name, value] : parameters) {
    if (!canonical.empty()) canonical += '&';
    canonical += name;
    canonical += '=';
    canonical += value;
  }
  return canonical;
}

// Lowercased name -> values in the order given. Sorted by name, as SigV4 wants.
using HeaderValues = std::map<std::string, std::vector<std::string>>;

// Headers a proxy or the HTTP layer may add, drop or rewrite on the way: signing them would make
// a valid request fail (the AWS SDKs leave them out too).
bool IsUnsignedHeader(std::string_view lowercase_name) {
  return lowercase_name == "connection" || lowercase_name == "expect" ||
         lowercase_name == "user-agent" || lowercase_name == "x-amzn-trace-id";
}

Result<HeaderValues> CollectHeaders(const std::vector<HttpHeader>& headers,
                                    const std::vector<std::string_view>& set_by_signer) {
  HeaderValues collected;
  for (const HttpHeader& header : headers) {
    if (header.name.empty() ||
        !std::all_of(header.name.begin(), header.name.end(),
                     [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); })) {
      return Status::InvalidArgument("header name '" + header.name + "' is not an HTTP token");
    }
    if (HasLineBreakOrNul(header.value)) {
      return Status::InvalidArgument("header " + header.name + ": value holds CR, LF or NUL");
    }
    std::string name = Lowercase(header.name);
    if (std::find(set_by_signer.begin(), set_by_signer.end(), name) != set_by_signer.end()) {
      return Status::InvalidArgument("header " + header.name +
                                     " is set by the signer; do not pass it");
    }
    if (IsUnsignedHeader(name)) continue;
    collected[std::move(name)].push_back(CanonicalHeaderValue(header.value));
  }
  if (!collected.contains("host")) return Status::InvalidArgument("headers: no Host header");
  return collected;
}

bool IsPayloadHash(std::string_view hash) {
  if (hash == kUnsignedPayload) return true;
  return hash.size() == 2 * kSha256Bytes &&
         std::all_of(hash.begin(), hash.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Everything both ways of signing share, checked and derived once.
struct SigningBase {
  std::string amz_date;          // 20150830T123600Z
  std::string credential_scope;  // 20150830/us-east-1/service/aws4_request
  std::string payload_hash;
  std::string canonical_path;
  EncodedQuery query;
  HeaderValues headers;
};

Result<SigningBase> PrepareSigning(const SigningRequest& request, const Credentials& credentials,
                                   const SigningScope& scope,
                                   const std::vector<std::string_view>& headers_set_by_signer,
                                   const SigningOptions& options) {
  if (request.method.empty()) return Status::InvalidArgument("method is empty");
  if (request.path.empty() || request.path.front() != '/') {
    return Status::InvalidArgument("path '" + std::string(request.path) + "' does not start with '/'");
  }
  if (credentials.access_key_id.empty()) return Status::InvalidArgument("access key id is empty");
  if (credentials.secret_access_key.empty()) {
    return Status::InvalidArgument("secret access key is empty");
  }
  if (scope.region.empty()) return Status::InvalidArgument("region is empty");
  if (scope.service.empty()) return Status::InvalidArgument("service is empty");
  if (!request.payload_hash.empty() && !IsPayloadHash(request.payload_hash)) {
    return Status::InvalidArgument("payload hash '" + request.payload_hash +
                                   "' is neither 64 lowercase hex digits nor UNSIGNED-PAYLOAD");
  }

  SigningBase base;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(scope.time);
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr || utc.tm_year + 1900 < 1 || utc.tm_year + 1900 > 9999) {
    return Status::InvalidArgument("signing time is outside years 1..9999");
  }
  char amz_date[sizeof "20150830T123600Z"];
  std::strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &utc);
  base.amz_date = amz_date;
  base.credential_scope =
      base.amz_date.substr(0, 8) + "/" + scope.region + "/" + scope.service + "/aws4_request";
  base.payload_hash = request.payload_hash.empty() ? Sha256Hex(request.body) : request.payload_hash;
  base.canonical_path = CanonicalPath(request.path, options);

  Result<EncodedQuery> query = ParseQuery(request.query);
  if (!query.ok()) return query.status();
  base.query = std::move(query).value();
  Result<HeaderValues> headers = CollectHeaders(request.headers, headers_set_by_signer);
  if (!headers.ok()) return headers.status();
  base.headers = std::move(headers).value();
  return base;
}

std::string SignedHeaderNames(const HeaderValues& headers) {
  std::string names;
  for (const auto& [name, values] : headers) {
    if (!names.empty()) names += ';';
    names += name;
  }
  return names;
}

// Fills canonical_request, string_to_sign and signature.
void Sign(std::string_view method, const SigningBase& base, std::string_view canonical_query,
          const Credentials& credentials, const SigningScope& scope, SignedRequest& signed_request) {
  std::string& canonical = signed_request.canonical_request;
  canonical.append(method).append("\n");
  canonical.append(base.canonical_path).append("\n");
  canonical.append(canonical_query).append("\n");
  for (const auto& [name, values] : base.headers) {
    canonical.append(name).append(":");
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) canonical += ',';
      canonical += values[i];
    }
    canonical += '\n';
  }
  canonical.append("\n").append(SignedHeaderNames(base.headers)).append("\n");
  canonical.append(base.payload_hash);

  signed_request.string_to_sign = std::string(kSigningAlgorithm) + "\n" + base.amz_date + "\n" +
                                  base.credential_scope + "\n" + Hex(Sha256(canonical));

  const Digest date_key =
      HmacSha256("AWS4" + credentials.secret_access_key, base.amz_date.substr(0, 8));
  const Digest region_key = HmacSha256(AsBytes(date_key), scope.region);
  const Digest service_key = HmacSha256(AsBytes(region_key), scope.service);
  const Digest signing_key = HmacSha256(AsBytes(service_key), "aws4_request");
  signed_request.signature = Hex(HmacSha256(AsBytes(signing_key), signed_request.string_to_sign));
}

constexpr std::string_view kQuerySigningParameters[] = {
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",      "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
};

}  // namespace

std::string UriEncode(std::string_view bytes, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(bytes.size());
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (IsUnreserved(byte) || (keep_slash && c == '/')) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kDigits[byte >> 4];
      encoded += kDigits[byte & 0xf];
    }
  }
  return encoded;
}

std::string EncodeQueryParameters(const std::vector<QueryParameter>& parameters) {
  std::string encoded;
  for (const QueryParameter& parameter : parameters) {
    if (!encoded.empty()) encoded += '&';
    encoded += UriEncode(parameter.name, false);
    encoded += '=';
    encoded += UriEncode(parameter.value, false);
  }
  return encoded;
}

std::string Sha256Hex(std::string_view bytes) { return Hex(Sha256(bytes)); }

Result<SignedRequest> SignWithHeaders(const SigningRequest& request, const Credentials& credentials,
                                      const SigningScope& scope, const SigningOptions& options) {
  std::vector<std::string_view> set_by_signer = {"authorization", "x-amz-date",
                                                 "x-amz-security-token"};
  if (options.add_content_sha256_header) set_by_signer.push_back("x-amz-content-sha256");
  Result<SigningBase> prepared = PrepareSigning(request, credentials, scope, set_by_signer, options);
  if (!prepared.ok()) return prepared.status();
  SigningBase& base = *prepared;

  const bool has_token = !credentials.session_token.empty();
  base.headers["x-amz-date"] = {base.amz_date};
  if (has_token && options.sign_session_token) {
    base.headers["x-amz-security-token"] = {CanonicalHeaderValue(credentials.session_token)};
  }
  if (options.add_content_sha256_header) base.headers["x-amz-content-sha256"] = {base.payload_hash};

  SignedRequest signed_request;
  Sign(request.method, base, CanonicalQuery(base.query), credentials, scope, signed_request);

  std::vector<HttpHeader>& added = signed_request.headers_to_add;
  if (has_token) added.push_back({"X-Amz-Security-Token", credentials.session_token});
  added.push_back({"X-Amz-Date", base.amz_date});
  if (options.add_content_sha256_header) {
    added.push_back({"x-amz-content-sha256", base.payload_hash});
  }
  added.push_back({"Authorization", std::string(kSigningAlgorithm) +
                                        " Credential=" + credentials.access_key_id + "/" +
                                        base.credential_scope +
                                        ", SignedHeaders=" + SignedHeaderNames(base.headers) +
                                        ", Signature=" + signed_request.signature});
  return signed_request;
}

Result<SignedRequest> SignWithQuery(const SigningRequest& request, const Credentials& credentials,
                                    const SigningScope& scope, const SigningOptions& options) {
  if (options.expires_seconds < 1 || options.expires_seconds > kPresignExpiresSecondsMax) {
    return Status::InvalidArgument("expires_seconds " + std::to_string(options.expires_seconds) +
                                   " is outside 1.." + std::to_string(kPresignExpiresSecondsMax));
  }
  Result<SigningBase> prepared = PrepareSigning(request, credentials, scope, {"authorization"}, options);
  if (!prepared.ok()) return prepared.status();
  SigningBase& base = *prepared;
  for (const auto& [name, value] : base.query) {
    for (std::string_view reserved : kQuerySigningParameters) {
      if (name == reserved) {
        return Status::InvalidArgument("query parameter " + name +
                                       " is set by the signer; do not pass it");
      }
    }
  }

  const bool has_token = !credentials.session_token.empty();
  const std::string signed_header_names = SignedHeaderNames(base.headers);
  std::vector<QueryParameter> signing_parameters = {
      {"X-Amz-Algorithm", std::string(kSigningAlgorithm)},
      {"X-Amz-Credential", credentials.access_key_id + "/" + base.credential_scope},
      {"X-Amz-Date", base.amz_date},
      {"X-Amz-SignedHeaders", signed_header_names},
      {"X-Amz-Expires", std::to_string(options.expires_seconds)},
  };
  const QueryParameter token = {"X-Amz-Security-Token", credentials.session_token};
  if (has_token && options.sign_session_token) signing_parameters.push_back(token);
  for (const QueryParameter& parameter : signing_parameters) {
    base.query.emplace_back(UriEncode(parameter.name, false), UriEncode(parameter.value, false));
  }

  SignedRequest signed_request;
  Sign(request.method, base, CanonicalQuery(base.query), credentials, scope, signed_request);

  signed_request.query_to_add = std::move(signing_parameters);
  if (has_token && !options.sign_session_token) signed_request.query_to_add.push_back(token);
  signed_request.query_to_add.push_back({"X-Amz-Signature", signed_request.signature});
  return signed_request;
}

}  // namespace estoque::aws
