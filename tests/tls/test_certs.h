// Test TLS material, made at run time by tests/tls/make_test_certs.sh (openssl CLI) once per
// test process, in a temporary directory removed when the process exits. See the script for
// what each file is.
//
// STREAMKEEPER_TEST_TLS=1 in a test binary's environment runs its server process tests over
// TLS: ServerProcessTest::Start gives the server --tls-cert/--tls-key and every TestConnection
// made afterwards trusts ca and checks the certificate is for 127.0.0.1.
#pragma once

#include <string>

namespace streamkeeper::testing {

struct TestCerts {
  std::string dir;
  std::string ca;
  std::string server_cert, server_key;    // serial 1001
  std::string server2_cert, server2_key;  // another server certificate, serial 1002
  std::string client_cert, client_key;    // issued by ca
  std::string other_ca;
  std::string untrusted_client_cert, untrusted_client_key;  // issued by other_ca
  std::string mismatched_key;                               // belongs to no certificate
};

// The files, made on the first call. A failure to make them (no openssl) is fatal: the
// message goes to stderr and the process aborts.
const TestCerts& SharedTestCerts();

// Whether STREAMKEEPER_TEST_TLS asks for the server process tests over TLS ("1").
bool TlsTestMode();

}  // namespace streamkeeper::testing
