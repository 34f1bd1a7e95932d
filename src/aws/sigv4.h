// AWS Signature Version 4 (SigV4): signs an HTTP request for an AWS service, either with an
// Authorization header or with X-Amz-* query parameters (a presigned URL). Follows AWS's rules
// exactly and passes AWS's published test suite (tests/unit/aws_sigv4_test.cc, docs/AWS.md).
//
// Pure functions over values: no I/O, no clock (the caller passes the signing time), thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "common/result.h"

namespace estoque::aws {

// The payload hash that tells the service the body is not signed (S3 presigned URLs).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kSigningAlgorithm = "AWS4-HMAC-SHA256";
// AWS rejects presigned URLs that live longer than 7 days.
inline constexpr std::int64_t kPresignExpiresSecondsMax = 7 * 24 * 3600;

struct HttpHeader {
  std::string name;   // any case; signed lowercased
  std::string value;  // as sent; signed trimmed, with each run of spaces and tabs made one space
};

// One query parameter, not percent-encoded.
struct QueryParameter {
  std::string name;
  std::string value;
};

// The request to sign. Views must outlive the call.
struct SigningRequest {
  std::string_view method;  // "GET", "POST", ...
  // The path as sent on the wire (already percent-encoded where needed), starting with '/'.
  std::string_view path = "/";
  // The query as sent on the wire, without '?'; parameters are percent-decoded, then re-encoded
  // the SigV4 way, so either encoding of a character signs the same.
  std::string_view query;
  // Must include Host (with the port when it is not the scheme's default). A name may repeat:
  // its values are signed joined by ',' in the order given.
  std::vector<HttpHeader> headers;
  std::string_view body;
  // The body's SHA-256 in lowercase hex, or kUnsignedPayload; empty = the signer hashes `body`.
  std::string payload_hash;
};

// Where and when the signature is valid.
struct SigningScope {
  std::string region;   // "us-east-1"
  std::string service;  // the signing name: "dynamodb", "sqs", "s3"
  std::chrono::system_clock::time_point time;  // the request's time; AWS allows 5 minutes of skew
};

struct SigningOptions {
  // Remove "." and ".." segments and empty segments (duplicate slashes) from the path before
  // signing. True for every service but S3, whose object keys may contain them.
  bool normalize_path = true;
  // Percent-encode the (already encoded) path once more, so '%' signs as "%25". True for every
  // service but S3, which signs the path as sent.
  bool double_encode_path = true;
  // Header signing only: add and sign x-amz-content-sha256 with the payload hash (S3 requires it;
  // other services ignore it).
  bool add_content_sha256_header = false;
  // With a session token: sign X-Amz-Security-Token (true: what services expect) or add it after
  // signing, unsigned (false: the few services that want it so, e.g. IoT over WebSocket).
  bool sign_session_token = true;
  // Query signing only: X-Amz-Expires, 1 ..= kPresignExpiresSecondsMax.
  std::int64_t expires_seconds = 3600;
};

// What signing produced. The intermediate strings are kept for tests and for debugging a
// SignatureDoesNotMatch (the service's error message shows its own canonical request).
struct SignedRequest {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // 64 lowercase hex digits
  // Header signing: X-Amz-Security-Token (if any), X-Amz-Date, x-amz-content-sha256 (if asked)
  // and Authorization, to add to the request as they are. Query signing: empty.
  std::vector<HttpHeader> headers_to_add;
  // Query signing: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders,
  // X-Amz-Expires, X-Amz-Security-Token (if any) and X-Amz-Signature, not encoded, to append to
  // the request's query (EncodeQueryParameters). Header signing: empty.
  std::vector<QueryParameter> query_to_add;
};

// Signs `request` with an Authorization header.
// InvalidArgument, naming the field, when: method empty; path not starting with '/'; no Host
// header; a header name empty or not a token, or a name or value holding CR, LF or NUL; a header
// the signer sets (Authorization, X-Amz-Date, X-Amz-Security-Token, and x-amz-content-sha256 when
// add_content_sha256_header) already present; a malformed %-escape in the query; payload_hash
// neither 64 lowercase hex digits nor kUnsignedPayload; credentials, region or service empty.
Result<SignedRequest> SignWithHeaders(const SigningRequest& request, const Credentials& credentials,
                                      const SigningScope& scope, const SigningOptions& options = {});

// Signs `request` with query parameters (a presigned URL valid options.expires_seconds from
// scope.time). Every header given is signed, so the client must send exactly those.
// InvalidArgument as SignWithHeaders (with X-Amz-* signing parameters already in the query
// instead of headers), and when expires_seconds is outside 1 ..= kPresignExpiresSecondsMax.
Result<SignedRequest> SignWithQuery(const SigningRequest& request, const Credentials& credentials,
                                    const SigningScope& scope, const SigningOptions& options = {});

// RFC 3986 percent-encoding as SigV4 wants it: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX
// (upper-case hex); '/' is kept when keep_slash (paths) and encoded otherwise (query parts).
std::string UriEncode(std::string_view bytes, bool keep_slash);

// "name=value&..." with names and values UriEncode'd, in the order given.
std::string EncodeQueryParameters(const std::vector<QueryParameter>& parameters);

// Lowercase hex SHA-256 of `bytes` (a payload hash).
std::string Sha256Hex(std::string_view bytes);

}  // namespace estoque::aws
