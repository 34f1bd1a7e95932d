// The SigV4 signer against AWS's published test suite (tests/data/aws-sigv4-test-suite/README.md):
// every case folder is one test, which signs the folder's request.txt both ways (Authorization
// header and query parameters) and compares the canonical request, the string to sign and the
// signature with AWS's files byte for byte, and the headers or query parameters added with the
// signed request AWS shows. Then edge cases the suite does not cover.
#include "aws/sigv4.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace estoque::aws {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kSuite = ESTOQUE_SIGV4_TEST_SUITE;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A raw HTTP/1.1 request as the suite writes it: the request target may hold spaces and raw
// UTF-8; an indented line continues the previous header (obs-fold, which RFC 9112 says to read
// as a space); a name may repeat; the body follows a blank line.
struct RawRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<HttpHeader> headers;
  std::string body;
};

RawRequest ParseRequest(const std::string& text) {
  RawRequest request;
  std::size_t position = 0;
  auto next_line = [&](std::string& line) {
    if (position >= text.size()) return false;
    std::size_t end = text.find('\n', position);
    if (end == std::string::npos) end = text.size();
    line = text.substr(position, end - position);
    position = end + 1;
    return true;
  };
  std::string line;
  EXPECT_TRUE(next_line(line));
  const std::size_t method_end = line.find(' ');
  const std::size_t version_start = line.rfind(' ');
  request.method = line.substr(0, method_end);
  const std::string target = line.substr(method_end + 1, version_start - method_end - 1);
  const std::size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);

  while (next_line(line) && !line.empty()) {
    if (line.front() == ' ' || line.front() == '\t') {
      EXPECT_FALSE(request.headers.empty()) << "continuation line before any header";
      request.headers.back().value += " " + line;
      continue;
    }
    const std::size_t colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << line;
    request.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  if (position < text.size()) request.body = text.substr(position);
  return request;
}

std::chrono::system_clock::time_point ParseTimestamp(const std::string& text) {
  std::tm utc{};
  EXPECT_EQ(std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &utc.tm_year, &utc.tm_mon,
                        &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec),
            6)
      << text;
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&utc));
}

struct SuiteCase {
  RawRequest request;
  Credentials credentials;
  SigningScope scope;
  SigningOptions options;
};

SuiteCase LoadCase(const fs::path& folder) {
  SuiteCase loaded;
  loaded.request = ParseRequest(ReadFile(folder / "request.txt"));
  const json::object context = json::parse(ReadFile(folder / "context.json")).as_object();
  const json::object& credentials = context.at("credentials").as_object();
  loaded.credentials.access_key_id = credentials.at("access_key_id").as_string().c_str();
  loaded.credentials.secret_access_key = credentials.at("secret_access_key").as_string().c_str();
  if (const json::value* token = credentials.if_contains("token")) {
    loaded.credentials.session_token = token->as_string().c_str();
  }
  loaded.scope.region = context.at("region").as_string().c_str();
  loaded.scope.service = context.at("service").as_string().c_str();
  loaded.scope.time = ParseTimestamp(context.at("timestamp").as_string().c_str());
  loaded.options.normalize_path = context.at("normalize").as_bool();
  loaded.options.double_encode_path = true;  // the suite's services are not S3
  loaded.options.add_content_sha256_header = context.at("sign_body").as_bool();
  if (const json::value* omit = context.if_contains("omit_session_token")) {
    loaded.options.sign_session_token = !omit->as_bool();
  }
  loaded.options.expires_seconds = context.at("expiration_in_seconds").as_int64();
  return loaded;
}

SigningRequest ToSigningRequest(const RawRequest& raw) {
  SigningRequest request;
  request.method = raw.method;
  request.path = raw.path;
  request.query = raw.query;
  request.headers = raw.headers;
  request.body = raw.body;
  return request;
}

// "a=1&b=%2F" -> {("a","1"), ("b","/")}, sorted, for comparing parameter sets in any order.
std::vector<std::pair<std::string, std::string>> DecodedQuery(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  auto decode = [](const std::string& text) {
    std::string decoded;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 2 < text.size()) {
        decoded += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += text[i];
      }
    }
    return decoded;
  };
  std::istringstream pieces(query);
  std::string piece;
  while (std::getline(pieces, piece, '&')) {
    if (piece.empty()) continue;
    const std::size_t equals = piece.find('=');
    parameters.emplace_back(decode(piece.substr(0, equals)),
                            equals == std::string::npos ? "" : decode(piece.substr(equals + 1)));
  }
  std::sort(parameters.begin(), parameters.end());
  return parameters;
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(kSuite, error)) {
    if (entry.is_directory() && fs::exists(entry.path() / "context.json")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Guards against an empty or misplaced data directory, which would instantiate no case at all.
TEST(SigV4Suite, IsPresentWithEveryPublishedCase) {
  EXPECT_GE(CaseNames().size(), 38u) << "AWS's suite has 38 cases; looked in " << kSuite;
}

class SigV4SuiteCase : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path Folder() const { return kSuite / GetParam(); }
};

TEST_P(SigV4SuiteCase, HeaderSigningMatchesAws) {
  const SuiteCase suite_case = LoadCase(Folder());
  Result<SignedRequest> signed_request =
      SignWithHeaders(ToSigningRequest(suite_case.request), suite_case.credentials,
                      suite_case.scope, suite_case.options);
  ASSERT_TRUE(signed_request.ok()) << signed_request.status().ToString();
  EXPECT_EQ(signed_request->canonical_request, ReadFile(Folder() / "header-canonical-request.txt"));
  EXPECT_EQ(signed_request->string_to_sign, ReadFile(Folder() / "header-string-to-sign.txt"));
  EXPECT_EQ(signed_request->signature, ReadFile(Folder() / "header-signature.txt"));
  EXPECT_TRUE(signed_request->query_to_add.empty());

  // The signed request AWS shows holds exactly the headers the signer added, with their values.
  const RawRequest expected = ParseRequest(ReadFile(Folder() / "header-signed-request.txt"));
  std::vector<std::pair<std::string, std::string>> expected_added, added;
  for (const HttpHeader& header : expected.headers) {
    const std::string name = Lower(header.name);
    if (name == "authorization" || name.starts_with("x-amz-")) {
      expected_added.emplace_back(name, header.value);
    }
  }
  for (const HttpHeader& header : signed_request->headers_to_add) {
    added.emplace_back(Lower(header.name), header.value);
  }
  std::sort(expected_added.begin(), expected_added.end());
  std::sort(added.begin(), added.end());
  EXPECT_EQ(added, expected_added);
}

TEST_P(SigV4SuiteCase, QuerySigningMatchesAws) {
  const SuiteCase suite_case = LoadCase(Folder());
  Result<SignedRequest> signed_request =
      SignWithQuery(ToSigningRequest(suite_case.request), suite_case.credentials, suite_case.scope,
                    suite_case.options);
  ASSERT_TRUE(signed_request.ok()) << signed_request.status().ToString();
  EXPECT_EQ(signed_request->canonical_request, ReadFile(Folder() / "query-canonical-request.txt"));
  EXPECT_EQ(signed_request->string_to_sign, ReadFile(Folder() / "query-string-to-sign.txt"));
  EXPECT_EQ(signed_request->signature, ReadFile(Folder() / "query-signature.txt"));
  EXPECT_TRUE(signed_request->headers_to_add.empty());

  // The presigned request AWS shows carries the request's own parameters plus those added.
  const RawRequest expected = ParseRequest(ReadFile(Folder() / "query-signed-request.txt"));
  std::string query = suite_case.request.query;
  const std::string added = EncodeQueryParameters(signed_request->query_to_add);
  query += (query.empty() ? "" : "&") + added;
  EXPECT_EQ(DecodedQuery(query), DecodedQuery(expected.query));
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Aws, SigV4SuiteCase, ::testing::ValuesIn(CaseNames()), TestName);

// --- Beyond the suite ---------------------------------------------------------------------------

const Credentials kCredentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

SigningScope Scope() {
  return {"us-east-1", "service", ParseTimestamp("2015-08-30T12:36:00Z")};
}

SigningRequest Get(std::string_view path, std::string_view query = "") {
  SigningRequest request;
  request.method = "GET";
  request.path = path;
  request.query = query;
  request.headers = {{"Host", "example.amazonaws.com"}};
  return request;
}

// The canonical request's second line.
std::string CanonicalPathOf(const SigningRequest& request, const SigningOptions& options = {}) {
  Result<SignedRequest> signed_request = SignWithHeaders(request, kCredentials, Scope(), options);
  EXPECT_TRUE(signed_request.ok()) << signed_request.status().ToString();
  if (!signed_request.ok()) return "";
  const std::string& canonical = signed_request->canonical_request;
  const std::size_t start = canonical.find('\n') + 1;
  return canonical.substr(start, canonical.find('\n', start) - start);
}

std::string CanonicalQueryOf(const SigningRequest& request) {
  Result<SignedRequest> signed_request = SignWithHeaders(request, kCredentials, Scope());
  EXPECT_TRUE(signed_request.ok()) << signed_request.status().ToString();
  if (!signed_request.ok()) return "";
  std::istringstream lines(signed_request->canonical_request);
  std::string line;
  for (int i = 0; i < 3; ++i) std::getline(lines, line);
  return line;
}

TEST(SigV4, NormalizationKeepsTheTrailingSlashADotSegmentImplies) {
  EXPECT_EQ(CanonicalPathOf(Get("/a/b/..")), "/a/");
  EXPECT_EQ(CanonicalPathOf(Get("/a/./b/.")), "/a/b/");
  EXPECT_EQ(CanonicalPathOf(Get("/a/b/c")), "/a/b/c");
  EXPECT_EQ(CanonicalPathOf(Get("/../a")), "/a");
  EXPECT_EQ(CanonicalPathOf(Get("/")), "/");
}

TEST(SigV4, NonS3PathsAreEncodedTwiceS3PathsAsSent) {
  EXPECT_EQ(CanonicalPathOf(Get("/my%20key/a+b")), "/my%2520key/a%2Bb");
  SigningOptions s3;
  s3.normalize_path = false;
  s3.double_encode_path = false;
  EXPECT_EQ(CanonicalPathOf(Get("/bucket/my%20key//./x", ""), s3), "/bucket/my%20key//./x");
}

TEST(SigV4, QuerySignsTheSameWhateverTheWireEncoding) {
  EXPECT_EQ(CanonicalQueryOf(Get("/", "a=b c&x=%2F")), "a=b%20c&x=%2F");
  EXPECT_EQ(CanonicalQueryOf(Get("/", "a=b%20c&x=/")), "a=b%20c&x=%2F");
  // '+' is a plus sign in SigV4, not a space; a name without '=' has an empty value.
  EXPECT_EQ(CanonicalQueryOf(Get("/", "k=1+1&flag")), "flag=&k=1%2B1");
  // Equal names sort by value; "&&" is no parameter.
  EXPECT_EQ(CanonicalQueryOf(Get("/", "b=2&&a=2&a=1")), "a=1&a=2&b=2");
}

TEST(SigV4, HeaderValuesAreTrimmedAndSpacesCollapsedButNotInsideOtherText) {
  SigningRequest request = Get("/");
  request.headers.push_back({"X-Custom", " \t a \t  b\tc  "});
  Result<SignedRequest> signed_request = SignWithHeaders(request, kCredentials, Scope());
  ASSERT_TRUE(signed_request.ok());
  EXPECT_NE(signed_request->canonical_request.find("\nx-custom:a b c\n"), std::string::npos)
      << signed_request->canonical_request;
}

TEST(SigV4, HeadersAProxyMayRewriteAreNotSigned) {
  SigningRequest request = Get("/");
  request.headers.push_back({"User-Agent", "estoque/0.1"});
  request.headers.push_back({"Connection", "keep-alive"});
  Result<SignedRequest> signed_request = SignWithHeaders(request, kCredentials, Scope());
  ASSERT_TRUE(signed_request.ok());
  EXPECT_EQ(signed_request->canonical_request.find("user-agent"), std::string::npos);
  EXPECT_EQ(signed_request->canonical_request.find("connection"), std::string::npos);
  EXPECT_EQ(signed_request->signature, ReadFile(kSuite / "get-vanilla/header-signature.txt"));
}

TEST(SigV4, AGivenPayloadHashIsSignedInsteadOfTheBody) {
  SigningRequest request = Get("/");
  request.payload_hash = std::string(kUnsignedPayload);
  request.body = "ignored";
  SigningOptions options;
  options.add_content_sha256_header = true;
  Result<SignedRequest> signed_request = SignWithHeaders(request, kCredentials, Scope(), options);
  ASSERT_TRUE(signed_request.ok());
  EXPECT_TRUE(signed_request->canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_NE(signed_request->canonical_request.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"),
            std::string::npos);
}

TEST(SigV4, DynamoDbStyleRequestCarriesItsBodyHashAndTheAuthorizationHeader) {
  SigningRequest request;
  request.method = "POST";
  request.headers = {{"Host", "dynamodb.us-east-1.amazonaws.com"},
                     {"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", "DynamoDB_20120810.ListTables"}};
  request.body = "{}";
  const SigningScope scope = {"us-east-1", "dynamodb", ParseTimestamp("2015-08-30T12:36:00Z")};
  Result<SignedRequest> signed_request = SignWithHeaders(request, kCredentials, scope);
  ASSERT_TRUE(signed_request.ok());
  EXPECT_TRUE(signed_request->canonical_request.ends_with("\n" + Sha256Hex("{}")));
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const HttpHeader& authorization = signed_request->headers_to_add.back();
  EXPECT_EQ(authorization.name, "Authorization");
  EXPECT_EQ(authorization.value,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" +
                signed_request->signature);
}

TEST(SigV4, MalformedRequestsAreRefusedNamingTheProblem) {
  auto refused = [](const SigningRequest& request, std::string_view words,
                    const SigningOptions& options = {}) {
    Result<SignedRequest> signed_request = SignWithHeaders(request, kCredentials, Scope(), options);
    ASSERT_FALSE(signed_request.ok()) << words;
    EXPECT_EQ(signed_request.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(signed_request.status().message().find(words), std::string::npos)
        << signed_request.status().message();
  };
  SigningRequest no_host = Get("/");
  no_host.headers.clear();
  refused(no_host, "no Host header");
  refused(Get("relative"), "does not start with '/'");
  refused(Get("/", "a=%zz"), "malformed %-escape");
  SigningRequest bad_hash = Get("/");
  bad_hash.payload_hash = "ABC";
  refused(bad_hash, "payload hash");
  SigningRequest injected = Get("/");
  injected.headers.push_back({"X-Evil", "a\r\nX-Other: b"});
  refused(injected, "CR, LF or NUL");
  SigningRequest bad_name = Get("/");
  bad_name.headers.push_back({"Bad Name", "x"});
  refused(bad_name, "not an HTTP token");
  SigningRequest preset = Get("/");
  preset.headers.push_back({"X-Amz-Date", "20150830T123600Z"});
  refused(preset, "set by the signer");

  SigningOptions too_long;
  too_long.expires_seconds = kPresignExpiresSecondsMax + 1;
  Result<SignedRequest> presigned = SignWithQuery(Get("/"), kCredentials, Scope(), too_long);
  ASSERT_FALSE(presigned.ok());
  EXPECT_EQ(presigned.status().code(), StatusCode::kInvalidArgument);
  presigned = SignWithQuery(Get("/", "X-Amz-Signature=x"), kCredentials, Scope());
  ASSERT_FALSE(presigned.ok());
  EXPECT_NE(presigned.status().message().find("set by the signer"), std::string::npos);

  Result<SignedRequest> no_secret =
      SignWithHeaders(Get("/"), Credentials{"AKIDEXAMPLE", "", ""}, Scope());
  ASSERT_FALSE(no_secret.ok());
  EXPECT_NE(no_secret.status().message().find("secret access key"), std::string::npos);
}

TEST(SigV4, UriEncodeKeepsOnlyTheUnreservedSet) {
  EXPECT_EQ(UriEncode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a b/c+d=e%", false), "a%20b%2Fc%2Bd%3De%25");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4", false), "%E1%88%B4");
}

}  // namespace
}  // namespace estoque::aws
