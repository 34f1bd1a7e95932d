// The credential, region and endpoint chains (src/aws/credentials.h, src/aws/endpoint.h), over an
// injected environment and a temporary home: the real environment and ~/.aws are never read.
#include "aws/credentials.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "aws/endpoint.h"
#include "support/temp_dir.h"

namespace estoque::aws {
namespace {

using test_support::TempDir;

class AwsChain : public ::testing::Test {
 protected:
  ConfigSources Sources() {
    return {[this](std::string_view name) -> std::optional<std::string> {
              auto it = environment_.find(std::string(name));
              if (it == environment_.end()) return std::nullopt;
              return it->second;
            },
            home_.path()};
  }

  // Writes `text` to home/<relative>, creating directories.
  std::filesystem::path Write(const std::string& relative, const std::string& text) {
    const std::filesystem::path path = std::filesystem::path(home_.path()) / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }

  Result<ResolvedCredentials> Credentials() { return ResolveCredentials(Sources()); }

  void ExpectError(const Status& status, StatusCode code, std::string_view words) {
    EXPECT_EQ(status.code(), code) << status.ToString();
    EXPECT_NE(status.message().find(words), std::string::npos) << status.message();
  }

  TempDir home_;
  std::map<std::string, std::string> environment_;
};

// --- credentials ---------------------------------------------------------------------------------

TEST_F(AwsChain, EnvironmentComesFirst) {
  environment_ = {{"AWS_ACCESS_KEY_ID", "ENVKEY"},
                  {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                  {"AWS_SESSION_TOKEN", "envtoken"}};
  Write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = s\n");
  Result<ResolvedCredentials> resolved = Credentials();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(resolved->credentials.secret_access_key, "envsecret");
  EXPECT_EQ(resolved->credentials.session_token, "envtoken");
  EXPECT_EQ(resolved->source, "environment");
}

TEST_F(AwsChain, HalfAPairInTheEnvironmentIsAnErrorNamingTheOtherHalf) {
  environment_ = {{"AWS_ACCESS_KEY_ID", "ENVKEY"}};
  Write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = s\n");
  ExpectError(Credentials().status(), StatusCode::kInvalidArgument,
              "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  environment_ = {{"AWS_SECRET_ACCESS_KEY", "envsecret"}};
  ExpectError(Credentials().status(), StatusCode::kInvalidArgument,
              "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
}

TEST_F(AwsChain, AnEmptyVariableCountsAsUnset) {
  environment_ = {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}, {"AWS_PROFILE", ""}};
  Write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = s\n");
  Result<ResolvedCredentials> resolved = Credentials();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "FILEKEY");
}

TEST_F(AwsChain, DefaultProfileOfTheCredentialsFile) {
  const auto path = Write(".aws/credentials",
                          "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = s\n"
                          "aws_session_token = t\n");
  Result<ResolvedCredentials> resolved = Credentials();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "FILEKEY");
  EXPECT_EQ(resolved->credentials.secret_access_key, "s");
  EXPECT_EQ(resolved->credentials.session_token, "t");
  EXPECT_EQ(resolved->source, path.string() + " [profile default]");
}

TEST_F(AwsChain, AwsProfileSelectsTheProfile) {
  environment_ = {{"AWS_PROFILE", "prod"}};
  Write(".aws/credentials",
        "[default]\naws_access_key_id = DEFAULT\naws_secret_access_key = d\n"
        "[prod]\naws_access_key_id = PROD\naws_secret_access_key = p\n");
  Result<ResolvedCredentials> resolved = Credentials();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "PROD");
  EXPECT_TRUE(resolved->credentials.session_token.empty());
}

TEST_F(AwsChain, TheConfigFileIsReadWithItsProfilePrefix) {
  environment_ = {{"AWS_PROFILE", "prod"}};
  const auto path = Write(".aws/config",
                          "[prod]\naws_access_key_id = NOPREFIX\naws_secret_access_key = x\n"
                          "[profile prod]\naws_access_key_id = CONFIG\naws_secret_access_key = c\n");
  Result<ResolvedCredentials> resolved = Credentials();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "CONFIG");
  EXPECT_EQ(resolved->source, path.string() + " [profile prod]");
}

TEST_F(AwsChain, TheCredentialsFileWinsOverTheConfigFile) {
  Write(".aws/credentials", "[default]\naws_access_key_id = CREDS\naws_secret_access_key = a\n");
  Write(".aws/config", "[default]\naws_access_key_id = CONFIG\naws_secret_access_key = b\n");
  Result<ResolvedCredentials> resolved = Credentials();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "CREDS");
}

TEST_F(AwsChain, AProfileWithoutKeysInTheCredentialsFileFallsThroughToTheConfigFile) {
  Write(".aws/credentials", "[default]\nregion = us-east-1\n");
  Write(".aws/config", "[default]\naws_access_key_id = CONFIG\naws_secret_access_key = b\n");
  Result<ResolvedCredentials> resolved = Credentials();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "CONFIG");
}

TEST_F(AwsChain, FileVariablesReplaceTheDefaultPathsAndExpandTilde) {
  Write(".aws/credentials", "[default]\naws_access_key_id = HOME\naws_secret_access_key = h\n");
  const auto elsewhere =
      Write("elsewhere/creds", "[default]\naws_access_key_id = ELSEWHERE\naws_secret_access_key = e\n");
  environment_ = {{"AWS_SHARED_CREDENTIALS_FILE", elsewhere.string()}};
  Result<ResolvedCredentials> resolved = Credentials();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "ELSEWHERE");

  environment_ = {{"AWS_SHARED_CREDENTIALS_FILE", "~/nothing-here"},
                  {"AWS_CONFIG_FILE", "~/elsewhere/config"}};
  Write("elsewhere/config", "[profile x]\naws_access_key_id = TILDE\naws_secret_access_key = t\n");
  environment_["AWS_PROFILE"] = "x";
  resolved = Credentials();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "TILDE");
}

TEST_F(AwsChain, HomeComesFromTheEnvironmentWhenNotGiven) {
  Write(".aws/credentials", "[default]\naws_access_key_id = HOMEENV\naws_secret_access_key = h\n");
  ConfigSources sources = Sources();
  sources.home_directory.clear();
  environment_ = {{"HOME", home_.path()}};
  Result<ResolvedCredentials> resolved = ResolveCredentials(sources);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->credentials.access_key_id, "HOMEENV");

  environment_.clear();  // no HOME: no default files, and the error says so
  ExpectError(ResolveCredentials(sources).status(), StatusCode::kNotFound, "HOME unset");
}

TEST_F(AwsChain, NothingAnywhereIsNotFoundNamingWhatWasLookedAt) {
  const Status status = Credentials().status();
  ExpectError(status, StatusCode::kNotFound, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  EXPECT_NE(status.message().find(home_.path() + "/.aws/credentials"), std::string::npos);
  EXPECT_NE(status.message().find(home_.path() + "/.aws/config"), std::string::npos);
}

TEST_F(AwsChain, AnAwsProfileInNeitherFileIsNotFoundNamingIt) {
  environment_ = {{"AWS_PROFILE", "missing"}};
  Write(".aws/credentials", "[default]\naws_access_key_id = D\naws_secret_access_key = d\n");
  ExpectError(Credentials().status(), StatusCode::kNotFound, "profile 'missing'");
}

TEST_F(AwsChain, HalfAPairInAProfileIsAnError) {
  const auto path = Write(".aws/credentials", "[default]\naws_secret_access_key = s\n");
  ExpectError(Credentials().status(), StatusCode::kInvalidArgument,
              path.string() + " [profile default] has aws_secret_access_key but no aws_access_key_id");
}

TEST_F(AwsChain, UnsupportedSourcesAreNamed) {
  Write(".aws/config", "[profile role]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n"
                       "[profile sso]\nsso_session = corp\n");
  environment_ = {{"AWS_PROFILE", "role"}};
  ExpectError(Credentials().status(), StatusCode::kInvalidArgument, "role_arn");
  environment_ = {{"AWS_PROFILE", "sso"}};
  ExpectError(Credentials().status(), StatusCode::kInvalidArgument, "sso_session");
}

TEST_F(AwsChain, AMalformedFileIsAnErrorWithFileAndLine) {
  const auto path = Write(".aws/credentials", "aws_access_key_id = early\n");
  ExpectError(Credentials().status(), StatusCode::kInvalidArgument, path.string() + ":1:");
}

// --- region --------------------------------------------------------------------------------------

TEST_F(AwsChain, RegionPrecedence) {
  Write(".aws/config", "[default]\nregion = sa-east-1\n[profile eu]\nregion = eu-west-1\n");
  environment_ = {{"AWS_REGION", "us-east-2"}, {"AWS_DEFAULT_REGION", "us-west-1"}};
  EXPECT_EQ(ResolveRegion(Sources()).value(), "us-east-2");
  environment_ = {{"AWS_DEFAULT_REGION", "us-west-1"}};
  EXPECT_EQ(ResolveRegion(Sources()).value(), "us-west-1");
  environment_ = {};
  EXPECT_EQ(ResolveRegion(Sources()).value(), "sa-east-1");
  environment_ = {{"AWS_PROFILE", "eu"}};
  EXPECT_EQ(ResolveRegion(Sources()).value(), "eu-west-1");
}

TEST_F(AwsChain, RegionIsReadFromTheConfigFileOnly) {
  Write(".aws/credentials", "[default]\nregion = us-east-1\n");
  ExpectError(ResolveRegion(Sources()).status(), StatusCode::kNotFound,
              "AWS_REGION and AWS_DEFAULT_REGION are unset");
}

TEST_F(AwsChain, AMalformedRegionIsRefused) {
  environment_ = {{"AWS_REGION", "us-east-1/evil"}};
  ExpectError(ResolveRegion(Sources()).status(), StatusCode::kInvalidArgument,
              "AWS_REGION 'us-east-1/evil' is not a region name");
}

// --- endpoint ------------------------------------------------------------------------------------

TEST_F(AwsChain, EndpointPrecedence) {
  environment_ = {{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"},
                  {"AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"}};
  EXPECT_EQ(ResolveEndpoint(Sources(), "dynamodb", "us-east-1")->Url(), "http://127.0.0.1:8000/");
  EXPECT_EQ(ResolveEndpoint(Sources(), "sqs", "us-east-1")->Url(), "http://127.0.0.1:4566/");
  environment_ = {};
  EXPECT_EQ(ResolveEndpoint(Sources(), "sqs", "sa-east-1")->Url(),
            "https://sqs.sa-east-1.amazonaws.com/");
  EXPECT_EQ(ResolveEndpoint(Sources(), "dynamodb", "cn-north-1")->Url(),
            "https://dynamodb.cn-north-1.amazonaws.com.cn/");
  environment_ = {{"AWS_ENDPOINT_URL_SQS", "http://localhost:9324"},
                  {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"}};
  EXPECT_EQ(ResolveEndpoint(Sources(), "sqs", "us-east-1")->Url(),
            "https://sqs.us-east-1.amazonaws.com/");
}

TEST_F(AwsChain, ABadEndpointNamesItsVariable) {
  environment_ = {{"AWS_ENDPOINT_URL_SQS", "localhost:9324"}};
  ExpectError(ResolveEndpoint(Sources(), "sqs", "us-east-1").status(), StatusCode::kInvalidArgument,
              "AWS_ENDPOINT_URL_SQS: endpoint URL 'localhost:9324'");
  environment_ = {};
  ExpectError(ResolveEndpoint(Sources(), "sqs", "").status(), StatusCode::kInvalidArgument,
              "region is empty");
}

TEST(AwsEndpointUrl, ParsesWhatAnEndpointMayHold) {
  Result<Endpoint> plain = ParseEndpointUrl("https://dynamodb.us-east-1.amazonaws.com");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->scheme, "https");
  EXPECT_EQ(plain->host, "dynamodb.us-east-1.amazonaws.com");
  EXPECT_EQ(plain->port, 443);
  EXPECT_EQ(plain->path, "/");
  EXPECT_EQ(plain->HostHeader(), "dynamodb.us-east-1.amazonaws.com");

  Result<Endpoint> local = ParseEndpointUrl("HTTP://127.0.0.1:8000/prefix/");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->scheme, "http");
  EXPECT_EQ(local->port, 8000);
  EXPECT_EQ(local->path, "/prefix/");
  EXPECT_EQ(local->HostHeader(), "127.0.0.1:8000");

  Result<Endpoint> ipv6 = ParseEndpointUrl("http://[::1]:8000");
  ASSERT_TRUE(ipv6.ok());
  EXPECT_EQ(ipv6->host, "::1");
  EXPECT_EQ(ipv6->HostHeader(), "[::1]:8000");
  EXPECT_EQ(ParseEndpointUrl("http://host:80")->HostHeader(), "host");
}

TEST(AwsEndpointUrl, RefusesWhatAnEndpointMayNotHold) {
  for (const char* url : {"ftp://host", "host:80", "http://", "http://:80", "http://host:0",
                          "http://host:65536", "http://host:8x", "http://host:",
                          "http://user@host", "http://host/?q=1", "http://host/#f", "http://[::1",
                          "http://[::1]x"}) {
    Result<Endpoint> parsed = ParseEndpointUrl(url);
    EXPECT_FALSE(parsed.ok()) << url;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << url;
    }
  }
}

TEST(AwsProcessEnvironment, ReadsThisProcesssEnvironment) {
  ASSERT_EQ(setenv("ESTOQUE_AWS_TEST_VARIABLE", "value", 1), 0);
  const EnvironmentLookup environment = ProcessEnvironment();
  EXPECT_EQ(environment("ESTOQUE_AWS_TEST_VARIABLE"), "value");
  unsetenv("ESTOQUE_AWS_TEST_VARIABLE");
  EXPECT_EQ(environment("ESTOQUE_AWS_TEST_VARIABLE"), std::nullopt);
}

}  // namespace
}  // namespace estoque::aws
