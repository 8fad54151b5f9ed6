#include "test_certs.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>

#include "../storage/temp_dir.h"

#ifndef STREAMKEEPER_MAKE_TEST_CERTS
#error "STREAMKEEPER_MAKE_TEST_CERTS must name tests/tls/make_test_certs.sh"
#endif

namespace streamkeeper::testing {
namespace {

// Destroyed (the directory removed) at exit.
struct CertsDir {
  TempDir dir;
  TestCerts certs;
};

CertsDir* MakeCerts() {
  auto* made = new CertsDir;
  std::string command = std::string("bash '") + STREAMKEEPER_MAKE_TEST_CERTS + "' '" +
                        made->dir.path() + "' </dev/null";
  int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "test_certs: %s failed (status %d); is openssl installed?\n",
                 command.c_str(), status);
    std::abort();
  }
  auto file = [&](const char* name) { return made->dir.path() + "/" + name; };
  TestCerts& c = made->certs;
  c.dir = made->dir.path();
  c.ca = file("ca.pem");
  c.server_cert = file("server.pem");
  c.server_key = file("server.key");
  c.server2_cert = file("server2.pem");
  c.server2_key = file("server2.key");
  c.client_cert = file("client.pem");
  c.client_key = file("client.key");
  c.other_ca = file("other-ca.pem");
  c.untrusted_client_cert = file("client-untrusted.pem");
  c.untrusted_client_key = file("client-untrusted.key");
  c.mismatched_key = file("mismatched.key");
  return made;
}

}  // namespace

const TestCerts& SharedTestCerts() {
  static std::unique_ptr<CertsDir> made(MakeCerts());
  return made->certs;
}

bool TlsTestMode() {
  const char* value = std::getenv("STREAMKEEPER_TEST_TLS");
  return value != nullptr && std::string_view(value) == "1";
}

}  // namespace streamkeeper::testing
