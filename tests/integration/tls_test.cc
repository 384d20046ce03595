// gRPC over TLS and mutual TLS, with throwaway certificates made by the openssl command at test
// time: a CA, a server certificate for 127.0.0.1 signed by it, a client certificate signed by it,
// and a second, unrelated CA whose certificates must be rejected.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/arborctl_app.h"
#include "tests/integration/arbor_api.h"
#include "tests/integration/arbord_process.h"

namespace arbor::integration {
namespace {

using grpc::health::v1::HealthCheckResponse;

std::string ReadAll(const std::string& path) { return ReadFileOrEmpty(path); }

// Runs a shell command; returns true when it exited 0.
bool Shell(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return status == 0;
}

class Certificates {
 public:
  // Makes every file under a new temporary directory; ok() returns whether openssl succeeded.
  Certificates() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "arbor-tls-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return;
    dir_ = pattern;
    ok_ = MakeCa("ca") && MakeCa("other-ca") &&
          MakeLeaf("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                   "extendedKeyUsage=serverAuth\n") &&
          MakeLeaf("client", "ca", "extendedKeyUsage=clientAuth\n") &&
          MakeLeaf("other-client", "other-ca", "extendedKeyUsage=clientAuth\n");
  }
  ~Certificates() {
    std::error_code error;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, error);
  }

  bool ok() const { return ok_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  // EC keys, because RSA key generation is slow on a loaded machine.
  static constexpr char kNewKey[] = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

  bool MakeCa(const std::string& name) {
    return Shell(absl::StrCat("openssl req -x509 ", kNewKey, " -days 2 -subj '/CN=Arbor test ",
                              name, "' -keyout ", Path(name + ".key"), " -out ",
                              Path(name + ".crt")));
  }

  bool MakeLeaf(const std::string& name, const std::string& ca, const std::string& extensions) {
    std::ofstream(Path(name + ".ext")) << extensions;
    return Shell(absl::StrCat("openssl req ", kNewKey, " -subj '/CN=", name, "' -keyout ",
                              Path(name + ".key"), " -out ", Path(name + ".csr"))) &&
           Shell(absl::StrCat("openssl x509 -req -days 2 -in ", Path(name + ".csr"), " -CA ",
                              Path(ca + ".crt"), " -CAkey ", Path(ca + ".key"),
                              " -CAcreateserial -extfile ", Path(name + ".ext"), " -out ",
                              Path(name + ".crt")));
  }

  std::string dir_;
  bool ok_ = false;
};

// A TLS channel that trusts `ca` and, when given, presents the client certificate `client`.
std::shared_ptr<grpc::Channel> TlsChannel(const Certificates& certs, const std::string& address,
                                          const std::string& ca, const std::string& client = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadAll(certs.Path(ca + ".crt"));
  if (!client.empty()) {
    options.pem_cert_chain = ReadAll(certs.Path(client + ".crt"));
    options.pem_private_key = ReadAll(certs.Path(client + ".key"));
  }
  return grpc::CreateChannel(address, grpc::SslCredentials(options));
}

// Health/Check over `channel`; the status of the call.
grpc::Status Check(const std::shared_ptr<grpc::Channel>& channel,
                   HealthCheckResponse* response) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return health->Check(&context, grpc::health::v1::HealthCheckRequest(), response);
}

// Waits until the server reports SERVING over `channel`.
::testing::AssertionResult WaitServing(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::Status last;
  for (int attempt = 0; attempt < 300; ++attempt) {
    HealthCheckResponse response;
    last = Check(channel, &response);
    if (last.ok() && response.status() == HealthCheckResponse::SERVING) {
      return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ::testing::AssertionFailure() << "never SERVING; last: " << Describe(last);
}

int RunArborctl(const std::vector<std::string>& args, std::string* output) {
  std::vector<const char*> argv = {"arborctl"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int code = client::RunArborctl(static_cast<int>(argv.size()), argv.data(), out, err,
                                       /*err_is_terminal=*/false);
  *output = out.str() + err.str();
  return code;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(certs_.ok()) << "openssl could not make the certificates"; }

  std::unique_ptr<ArbordProcess> Start(bool mutual) {
    ArbordOptions options;
    options.wait_until_serving = false;  // the harness checks over plaintext
    options.extra_args = {"--tls-cert", certs_.Path("server.crt"), "--tls-key",
                          certs_.Path("server.key")};
    if (mutual) {
      options.extra_args.push_back("--tls-client-ca");
      options.extra_args.push_back(certs_.Path("ca.crt"));
    }
    absl::StatusOr<std::unique_ptr<ArbordProcess>> arbord = ArbordProcess::Start(options);
    EXPECT_TRUE(arbord.ok()) << arbord.status();
    return arbord.ok() ? *std::move(arbord) : nullptr;
  }

  Certificates certs_;
};

TEST_F(TlsTest, ServerTls) {
  std::unique_ptr<ArbordProcess> arbord = Start(/*mutual=*/false);
  ASSERT_NE(arbord, nullptr);
  const std::string& address = arbord->address();
  ASSERT_TRUE(WaitServing(TlsChannel(certs_, address, "ca")));
  EXPECT_TRUE(absl::StrContains(arbord->ReadLog(), "(TLS)")) << arbord->ReadLog();

  // An authenticated call works over TLS.
  auto admin = v1::AdminService::NewStub(TlsChannel(certs_, address, "ca"));
  grpc::ClientContext context;
  PrepareContext(&context, arbord->admin_key(), std::chrono::seconds(10));
  v1::ListCollectionsResponse listed;
  EXPECT_TRUE(IsOk(admin->ListCollections(&context, v1::ListCollectionsRequest(), &listed)));

  // Plaintext, and TLS that trusts another CA, fail.
  HealthCheckResponse response;
  EXPECT_EQ(Check(Connect(address), &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Check(TlsChannel(certs_, address, "other-ca"), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  std::string output;
  EXPECT_EQ(RunArborctl({"--server", address, "--tls-ca", certs_.Path("ca.crt"), "health"},
                        &output),
            0)
      << output;
  EXPECT_EQ(RunArborctl({"--server", address, "--tls-ca", certs_.Path("ca.crt"), "--key",
                         arbord->admin_key(), "collection", "list"},
                        &output),
            0)
      << output;
  EXPECT_EQ(RunArborctl({"--server", address, "--timeout", "5", "health"}, &output), 1)
      << output;

  absl::StatusOr<ExitStatus> stopped = arbord->Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(stopped->CleanExit());
}

TEST_F(TlsTest, MutualTlsRequiresClientCertificate) {
  std::unique_ptr<ArbordProcess> arbord = Start(/*mutual=*/true);
  ASSERT_NE(arbord, nullptr);
  const std::string& address = arbord->address();
  ASSERT_TRUE(WaitServing(TlsChannel(certs_, address, "ca", "client")));
  EXPECT_TRUE(absl::StrContains(arbord->ReadLog(), "(mutual TLS)")) << arbord->ReadLog();

  HealthCheckResponse response;
  EXPECT_EQ(Check(TlsChannel(certs_, address, "ca"), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Check(TlsChannel(certs_, address, "ca", "other-client"), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  std::string output;
  EXPECT_EQ(RunArborctl({"--server", address, "--tls-ca", certs_.Path("ca.crt"), "--tls-cert",
                         certs_.Path("client.crt"), "--tls-key", certs_.Path("client.key"),
                         "health"},
                        &output),
            0)
      << output;
  EXPECT_EQ(RunArborctl({"--server", address, "--tls-ca", certs_.Path("ca.crt"), "--timeout",
                         "5", "health"},
                        &output),
            1)
      << output;
  EXPECT_EQ(RunArborctl({"--server", address, "--tls-ca", certs_.Path("ca.crt"), "--tls-cert",
                         certs_.Path("client.crt"), "health"},
                        &output),
            2)
      << output;
  EXPECT_TRUE(absl::StrContains(output, "must be given together")) << output;
}

TEST_F(TlsTest, BadTlsSettingsFailStartup) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const Case cases[] = {
      {{"--tls-cert", certs_.Path("server.crt")}, "--tls-cert and --tls-key must be given"},
      {{"--tls-client-ca", certs_.Path("ca.crt")}, "--tls-client-ca needs --tls-cert"},
      {{"--tls-cert", certs_.Path("server.crt"), "--tls-key", certs_.Path("client.key")},
       "does not match the certificate"},
      {{"--tls-cert", certs_.Path("server.key"), "--tls-key", certs_.Path("server.key")},
       "holds no PEM certificate"},
      {{"--tls-cert", certs_.Path("missing.crt"), "--tls-key", certs_.Path("server.key")},
       "cannot read --tls-cert file"},
  };
  for (const Case& c : cases) {
    const std::string data_dir = certs_.Path("data");
    std::vector<std::string> args = {"--data-dir", data_dir, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const std::string log = certs_.Path("arbord.log");
    absl::StatusOr<ExitStatus> exit = RunArbordUntilExit(args, log, std::chrono::seconds(30));
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_TRUE(exit->exited) << c.expected << ": " << exit->ToString();
    EXPECT_EQ(exit->code, 1) << c.expected << ": " << exit->ToString();
    const std::string output = ReadFileOrEmpty(log);
    EXPECT_TRUE(absl::StrContains(output, c.expected)) << output;
    EXPECT_FALSE(std::filesystem::exists(data_dir + "/arbord.addr")) << c.expected;
    std::filesystem::remove(log);
  }
}

}  // namespace
}  // namespace arbor::integration
