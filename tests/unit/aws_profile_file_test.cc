// Reading ~/.aws/credentials and ~/.aws/config as the AWS SDKs do (src/aws/profile_file.h).
#include "aws/profile_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace estoque::aws {
namespace {

using test_support::TempDir;

ProfileFile Parse(std::string_view text, ProfileFileKind kind = ProfileFileKind::kCredentials) {
  Result<ProfileFile> parsed = ParseProfileFile(text, kind, "test-file");
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : ProfileFile{};
}

std::string Property(const ProfileFile& file, std::string_view profile, std::string_view key) {
  const ProfileProperties* properties = file.Find(profile);
  if (properties == nullptr) return "<no profile>";
  auto it = properties->find(std::string(key));
  return it == properties->end() ? "<no property>" : it->second;
}

TEST(AwsProfileFile, CommentsBlankLinesWhitespaceAndKeyCase) {
  const ProfileFile file = Parse(
      "# a comment\n"
      "; another comment\n"
      "\n"
      "[default]   \n"
      "aws_access_key_id=AKID\n"
      "   \t\n"
      "  # an indented comment is still a comment\n"
      "AWS_Secret_Access_Key   =   se cret  \r\n"
      "[prod]\r\n"
      "aws_access_key_id = PROD\r\n");
  EXPECT_EQ(Property(file, "default", "aws_access_key_id"), "AKID");
  EXPECT_EQ(Property(file, "default", "aws_secret_access_key"), "se cret");
  EXPECT_EQ(Property(file, "prod", "aws_access_key_id"), "PROD");
  EXPECT_EQ(file.profiles.size(), 2u);
}

TEST(AwsProfileFile, ACommentInAValueMustFollowWhitespace) {
  const ProfileFile file = Parse(
      "[default] # comment after a section\n"
      "a = value # comment\n"
      "b = value\t; comment\n"
      "c = se#cr;et\n"
      "d =\n");
  EXPECT_EQ(Property(file, "default", "a"), "value");
  EXPECT_EQ(Property(file, "default", "b"), "value");
  EXPECT_EQ(Property(file, "default", "c"), "se#cr;et");
  EXPECT_EQ(Property(file, "default", "d"), "");
}

TEST(AwsProfileFile, ConfigProfilesNeedThePrefixExceptDefault) {
  const ProfileFile file = Parse(
      "[default]\nregion = us-east-1\n"
      "[profile prod]\nregion = sa-east-1\n"
      "[profile   spaced  ]\nregion = eu-west-1\n"
      "[staging]\nregion = ignored-1\n"
      "[sso-session corp]\nsso_region = ignored-2\n"
      "[profile two words]\nregion = ignored-3\n"
      "[profileX]\nregion = ignored-4\n",
      ProfileFileKind::kConfig);
  EXPECT_EQ(Property(file, "default", "region"), "us-east-1");
  EXPECT_EQ(Property(file, "prod", "region"), "sa-east-1");
  EXPECT_EQ(Property(file, "spaced", "region"), "eu-west-1");
  EXPECT_EQ(file.profiles.size(), 3u) << "skipped: [staging], [sso-session], a name with a space";
}

TEST(AwsProfileFile, CredentialsFileSectionsAreProfileNames) {
  const ProfileFile file = Parse("[profile prod]\na = 1\n[Prod]\na = 2\n[prod]\na = 3\n");
  EXPECT_EQ(file.Find("profile prod"), nullptr) << "a name with a space is skipped";
  EXPECT_EQ(Property(file, "Prod", "a"), "2") << "profile names are case-sensitive";
  EXPECT_EQ(Property(file, "prod", "a"), "3");
}

TEST(AwsProfileFile, ProfileDefaultAndDefaultAreTheSameConfigProfile) {
  const ProfileFile file = Parse("[profile default]\na = 1\n[default]\nb = 2\n",
                                 ProfileFileKind::kConfig);
  EXPECT_EQ(Property(file, "default", "a"), "1");
  EXPECT_EQ(Property(file, "default", "b"), "2");
}

TEST(AwsProfileFile, RepeatedKeysAndProfilesMergeTheLaterWinning) {
  const ProfileFile file = Parse("[default]\na = 1\nb = 1\n[other]\n[default]\na = 2\nA = 3\n");
  EXPECT_EQ(Property(file, "default", "a"), "3");
  EXPECT_EQ(Property(file, "default", "b"), "1");
  EXPECT_NE(file.Find("other"), nullptr);
}

TEST(AwsProfileFile, IndentedLinesContinueTheValue) {
  const ProfileFile file = Parse(
      "[profile dev]\n"
      "s3 =\n"
      "  max_concurrent_requests = 10\n"
      "\tmax_queue_size = 1000\n"
      "region = us-west-2\n"
      "[sso-session skipped]\n"
      "x =\n"
      "  continued, but the section is skipped\n",
      ProfileFileKind::kConfig);
  EXPECT_EQ(Property(file, "dev", "s3"), "\nmax_concurrent_requests = 10\nmax_queue_size = 1000");
  EXPECT_EQ(Property(file, "dev", "region"), "us-west-2");
}

void ExpectMalformed(std::string_view text, std::string_view where_and_why) {
  Result<ProfileFile> parsed = ParseProfileFile(text, ProfileFileKind::kConfig, "cfg");
  ASSERT_FALSE(parsed.ok()) << text;
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(where_and_why), std::string::npos)
      << parsed.status().message();
}

TEST(AwsProfileFile, MalformedLinesAreRefusedWithFileAndLine) {
  ExpectMalformed("[default\nregion = x\n", "cfg:1: section header without its closing ']'");
  ExpectMalformed("# comment\nregion = x\n", "cfg:2: property before any [profile] section");
  ExpectMalformed("[default]\nregion\n", "cfg:2: expected a [profile] section or key = value");
  ExpectMalformed("[default]\n\n= x\n", "cfg:3: property without a name");
  ExpectMalformed("  [default]\n", "cfg:1: indented line");
  ExpectMalformed("[default]\n  indented = x\n", "cfg:2: indented line that continues no property");
  ExpectMalformed("  leading = x\n", "cfg:1: indented line");
  ExpectMalformed("[default] trailing\n", "cfg:1: text after the section header's ']'");
  ExpectMalformed("[default]\na = 1\n[other]\n  continued\n", "cfg:4: indented line");
}

TEST(AwsProfileFile, AnEmptyFileHasNoProfiles) {
  EXPECT_TRUE(Parse("").profiles.empty());
  EXPECT_TRUE(Parse("# only a comment").profiles.empty());
}

TEST(AwsProfileFile, LoadTreatsAMissingFileAsEmptyAndRefusesOthersThatAreNotFiles) {
  TempDir dir;
  const std::filesystem::path base = dir.path();
  Result<ProfileFile> missing = LoadProfileFile(base / "absent", ProfileFileKind::kCredentials);
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_TRUE(missing->profiles.empty());

  Result<ProfileFile> directory = LoadProfileFile(base, ProfileFileKind::kCredentials);
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().code(), StatusCode::kInvalidArgument);

  const std::filesystem::path big = base / "big";
  std::ofstream(big) << "[default]\n" << std::string(kProfileFileBytesMax, '#') << "\n";
  Result<ProfileFile> too_big = LoadProfileFile(big, ProfileFileKind::kCredentials);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("larger than"), std::string::npos);

  const std::filesystem::path good = base / "good";
  std::ofstream(good) << "[default]\naws_access_key_id = AKID\n";
  Result<ProfileFile> loaded = LoadProfileFile(good, ProfileFileKind::kCredentials);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(Property(*loaded, "default", "aws_access_key_id"), "AKID");

  const std::filesystem::path bad = base / "bad";
  std::ofstream(bad) << "[default]\nnonsense\n";
  Result<ProfileFile> malformed = LoadProfileFile(bad, ProfileFileKind::kCredentials);
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.status().message().find(bad.string() + ":2:"), std::string::npos)
      << malformed.status().message();
}

TEST(AwsProfileFile, AFileThatCannotBeReadIsUnavailable) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads a file whatever its mode";
  TempDir dir;
  const std::filesystem::path locked = std::filesystem::path(dir.path()) / "locked";
  std::ofstream(locked) << "[default]\n";
  std::filesystem::permissions(locked, std::filesystem::perms::none);
  Result<ProfileFile> loaded = LoadProfileFile(locked, ProfileFileKind::kCredentials);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace estoque::aws
