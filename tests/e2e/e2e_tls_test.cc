// End to end: `estoque serve --tls-cert/--tls-key` (or ESTOQUE_TLS_CERT/ESTOQUE_TLS_KEY) serves
// HTTPS that libcurl verifies against a certificate made at run time; half a TLS configuration or
// an unreadable certificate stops the start with a clear message.
#include <gtest/gtest.h>

#include "e2e/support/command.h"
#include "e2e/support/http_client.h"
#include "e2e/support/https_get.h"
#include "e2e/support/server_process.h"
#include "support/self_signed_cert.h"

namespace estoque::e2e {
namespace {

using test_support::CertificateFiles;
using test_support::MakeSelfSignedCertificate;

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : certificate_(MakeSelfSignedCertificate(dir_.path())) {}

  // Asserts `server` answers GET /health over verified HTTPS.
  void ExpectHttpsHealth(const ServerProcess& server) {
    ASSERT_EQ(server.url(), "https://127.0.0.1:" + std::to_string(server.port()));
    const HttpsResult health = HttpsGet(server.url() + "/health", certificate_.certificate);
    EXPECT_EQ(health.status, 200) << health.error << "\n" << server.output();
    EXPECT_FALSE(health.body.empty());
  }

  TempDir dir_;
  CertificateFiles certificate_;
};

TEST_F(TlsTest, ServesHttpsVerifiedAgainstItsCertificate) {
  ServerProcess server(dir_.path() + "/data", {"--tls-cert", certificate_.certificate, "--tls-key",
                                               certificate_.private_key});
  ASSERT_TRUE(server.Start()) << server.last_error();
  ExpectHttpsHealth(server);
  const HttpsResult queue = HttpsGet(server.url() + "/v1/fila", certificate_.certificate);
  EXPECT_EQ(queue.status, 200) << queue.error;
  EXPECT_NE(queue.body.find("profundidade"), std::string::npos) << queue.body;

  // Verification is really on: a client trusting another certificate refuses the server.
  const CertificateFiles other = MakeSelfSignedCertificate(dir_.path(), "other");
  const HttpsResult untrusted = HttpsGet(server.url() + "/health", other.certificate);
  EXPECT_EQ(untrusted.status, 0);
  EXPECT_FALSE(untrusted.error.empty());

  // Plain HTTP on the HTTPS port gets no HTTP response.
  HttpClient plain(server.port());
  EXPECT_EQ(plain.Get("/health").status, 0);
  ExpectHttpsHealth(server);  // and the server still serves
  EXPECT_EQ(server.Terminate(), 0) << server.output();
}

TEST_F(TlsTest, TlsFilesFromTheEnvironment) {
  ServerProcess server(dir_.path() + "/data", {},
                       {{"ESTOQUE_TLS_CERT", certificate_.certificate},
                        {"ESTOQUE_TLS_KEY", certificate_.private_key}});
  ASSERT_TRUE(server.Start()) << server.last_error();
  ExpectHttpsHealth(server);
  EXPECT_EQ(server.Terminate(), 0) << server.output();
}

TEST_F(TlsTest, CertificateWithoutKeyOrKeyWithoutCertificateIsRefused) {
  const std::string data = dir_.path() + "/data";
  const CommandResult no_key = RunEstoque(
      {"serve", "--listen", "127.0.0.1:0", "--data", data, "--tls-cert", certificate_.certificate},
      std::chrono::seconds(30));
  EXPECT_NE(no_key.exit_code, 0) << no_key.out;
  EXPECT_NE(no_key.err.find("tls-cert: given without tls-key"), std::string::npos) << no_key.err;
  EXPECT_EQ(no_key.out.find("listening on"), std::string::npos) << no_key.out;

  const CommandResult no_cert = RunEstoque(
      {"serve", "--listen", "127.0.0.1:0", "--data", data, "--tls-key", certificate_.private_key},
      std::chrono::seconds(30));
  EXPECT_NE(no_cert.exit_code, 0) << no_cert.out;
  EXPECT_NE(no_cert.err.find("tls-key: given without tls-cert"), std::string::npos) << no_cert.err;
}

TEST_F(TlsTest, UnreadableCertificateIsAStartupError) {
  const std::string missing = dir_.path() + "/missing.crt";
  const CommandResult result =
      RunEstoque({"serve", "--listen", "127.0.0.1:0", "--data", dir_.path() + "/data",
                  "--tls-cert", missing, "--tls-key", certificate_.private_key},
                 std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.err.find("cannot read the TLS certificate chain '" + missing +
                            "': No such file or directory"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.out.find("listening on"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace estoque::e2e
