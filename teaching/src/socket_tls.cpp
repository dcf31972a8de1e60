// TLS for teaching sessions with OpenSSL 3 (Apache-2.0, the project's own licence; why not
// GnuTLS: docs/architecture.md, "Teaching sessions: TLS"). Non-blocking throughout: the
// handshake advances whenever the session's service() reads or writes.
#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <utility>

#include "socket.h"
#include "twinplan/core/error.h"

namespace twinplan::teaching::net {

struct TlsContext {
  SSL_CTX* ctx = nullptr;
  bool verifiesCa = false;
  std::string caFile;
  std::string pinnedSha256;  // normalised "AB:CD:..."; empty: no pin
  std::string fingerprint;   // the presenter's own certificate
  ~TlsContext() {
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
};

namespace {

// The newest OpenSSL error as text ("...:certificate verify failed"); clears the queue.
std::string opensslReason() {
  unsigned long code = 0, last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return "no further detail";
  char text[256];
  ERR_error_string_n(last, text, sizeof text);
  return text;
}

// TLS 1.2 is the oldest version NIST SP 800-52 Rev. 2 (section 3.1) allows for government
// systems; 1.3 is negotiated where both sides have it (OpenSSL 3 does).
SSL_CTX* newContext(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr)
    throw Error(ErrorKind::Internal, "OpenSSL could not create a TLS context: " + opensslReason());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  return ctx;
}

void requireReadable(const std::string& file, const char* what) {
  if (!std::ifstream(file).good())
    throw Error(ErrorKind::NotFound,
                std::string("The ") + what + " file could not be read; check the path.", file);
}

std::string hexFingerprint(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(certificate, EVP_sha256(), digest, &length);
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    char byte[4];
    std::snprintf(byte, sizeof byte, i == 0 ? "%02X" : ":%02X", digest[i]);
    text += byte;
  }
  return text;
}

// "ab cd:EF..." -> "AB:CD:EF:..."; empty when it is not 32 hexadecimal bytes.
std::string normalisedFingerprint(const std::string& given) {
  std::string hex;
  for (char c : given) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      hex.push_back(char(std::toupper(static_cast<unsigned char>(c))));
    } else if (c != ':' && c != ' ') {
      return {};
    }
  }
  if (hex.size() != 64) return {};
  std::string text;
  for (std::size_t i = 0; i < hex.size(); i += 2) text += (i ? ":" : "") + hex.substr(i, 2);
  return text;
}

// A BIO over the non-blocking socket that sends with MSG_NOSIGNAL: OpenSSL's own socket BIO
// writes with write(2), which raises SIGPIPE when a participant has gone.
int bioFd(BIO* bio) { return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio))); }

int bioWrite(BIO* bio, const char* data, int length) {
  BIO_clear_retry_flags(bio);
  const auto n = ::send(bioFd(bio), data, std::size_t(length), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    BIO_set_retry_write(bio);
  return int(n);
}

int bioRead(BIO* bio, char* data, int length) {
  BIO_clear_retry_flags(bio);
  const auto n = ::recv(bioFd(bio), data, std::size_t(length), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(bio);
  return int(n);
}

long bioControl(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }

int bioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO* socketBio(int fd) {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "teaching socket");
    BIO_meth_set_write(m, bioWrite);
    BIO_meth_set_read(m, bioRead);
    BIO_meth_set_ctrl(m, bioControl);
    BIO_meth_set_create(m, bioCreate);
    return m;
  }();
  BIO* bio = BIO_new(method);
  if (bio == nullptr) throw Error(ErrorKind::Internal, "OpenSSL could not create a socket BIO.");
  BIO_set_data(bio, reinterpret_cast<void*>(std::intptr_t(fd)));
  return bio;
}

bool isIpAddress(const std::string& host) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

std::shared_ptr<TlsContext> presenterTls(const std::string& certificateFile,
                                         const std::string& privateKeyFile) {
  requireReadable(certificateFile, "TLS certificate");
  requireReadable(privateKeyFile, "TLS private key");
  auto tls = std::make_shared<TlsContext>();
  tls->ctx = newContext(TLS_server_method());
  if (SSL_CTX_use_certificate_chain_file(tls->ctx, certificateFile.c_str()) != 1) {
    throw Error(ErrorKind::InvalidInput,
                "The TLS certificate is not a PEM certificate (" + opensslReason() +
                    "); give the presenter's certificate in PEM form.",
                certificateFile);
  }
  if (SSL_CTX_use_PrivateKey_file(tls->ctx, privateKeyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw Error(ErrorKind::InvalidInput,
                "The TLS private key is not an unencrypted PEM key (" + opensslReason() +
                    "); give the key that goes with the certificate.",
                privateKeyFile);
  }
  if (SSL_CTX_check_private_key(tls->ctx) != 1) {
    throw Error(ErrorKind::InvalidInput,
                "The TLS private key does not belong to the certificate; give the key that was "
                "made with it.",
                privateKeyFile + ", " + certificateFile);
  }
  tls->fingerprint = hexFingerprint(SSL_CTX_get0_certificate(tls->ctx));
  return tls;
}

std::shared_ptr<TlsContext> participantTls(const std::string& caFile,
                                           const std::string& pinnedSha256) {
  auto tls = std::make_shared<TlsContext>();
  if (!pinnedSha256.empty()) {
    tls->pinnedSha256 = normalisedFingerprint(pinnedSha256);
    if (tls->pinnedSha256.empty()) {
      throw Error(ErrorKind::InvalidInput,
                  "The certificate fingerprint must be 32 hexadecimal bytes (SHA-256, as the "
                  "presenter's dialog shows it, e.g. 'AB:CD:...').",
                  pinnedSha256);
    }
  }
  tls->ctx = newContext(TLS_client_method());
  if (!caFile.empty()) {
    requireReadable(caFile, "CA certificate");
    if (SSL_CTX_load_verify_locations(tls->ctx, caFile.c_str(), nullptr) != 1) {
      throw Error(ErrorKind::InvalidInput,
                  "The CA file holds no PEM certificate (" + opensslReason() +
                      "); give the certificate of the authority that signed the presenter's.",
                  caFile);
    }
    tls->verifiesCa = true;
    tls->caFile = caFile;
  }
  // With a CA the chain and host are verified in the handshake (RFC 5280 path validation, RFC
  // 6125 name check); a pin alone is checked after it.
  SSL_CTX_set_verify(tls->ctx, tls->verifiesCa ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  return tls;
}

std::string certificateFingerprint(const TlsContext& presenter) { return presenter.fingerprint; }

Link::Link(Link&& other) noexcept
    : fd_(std::move(other.fd_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      context_(std::move(other.context_)),
      asServer_(other.asServer_),
      handshakeDone_(other.handshakeDone_),
      wantsWrite_(other.wantsWrite_),
      failure_(std::move(other.failure_)) {}

Link& Link::operator=(Link&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::move(other.fd_);
    ssl_ = std::exchange(other.ssl_, nullptr);
    context_ = std::move(other.context_);
    asServer_ = other.asServer_;
    handshakeDone_ = other.handshakeDone_;
    wantsWrite_ = other.wantsWrite_;
    failure_ = std::move(other.failure_);
  }
  return *this;
}

void Link::reset() {
  if (ssl_ != nullptr) {
    if (handshakeDone_) SSL_shutdown(ssl_);  // close_notify, where the socket takes it now
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  context_.reset();
  handshakeDone_ = false;
  wantsWrite_ = false;
  fd_.reset();
}

void Link::startTls(std::shared_ptr<TlsContext> context, bool asServer,
                    const std::string& peerHost) {
  ssl_ = SSL_new(context->ctx);
  if (ssl_ == nullptr)
    throw Error(ErrorKind::Internal,
                "OpenSSL could not start a TLS connection: " + opensslReason());
  BIO* bio = socketBio(fd_.get());
  SSL_set_bio(ssl_, bio, bio);
  asServer_ = asServer;
  if (asServer) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    if (context->verifiesCa) {
      // The certificate must name the address the participant typed (RFC 6125; an IP address
      // is matched against the certificate's IP subject alternative names).
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      if (isIpAddress(peerHost)) {
        X509_VERIFY_PARAM_set1_ip_asc(param, peerHost.c_str());
      } else {
        X509_VERIFY_PARAM_set1_host(param, peerHost.c_str(), 0);
        SSL_set_tlsext_host_name(ssl_, peerHost.c_str());
      }
    }
  }
  context_ = std::move(context);
}

bool Link::handshake() {
  if (handshakeDone_) return true;
  if (!failure_.empty()) return false;
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    handshakeDone_ = true;
    wantsWrite_ = false;
    if (!asServer_ && !context_->pinnedSha256.empty()) {
      X509* certificate = SSL_get1_peer_certificate(ssl_);
      const std::string seen = certificate ? hexFingerprint(certificate) : "none";
      X509_free(certificate);
      if (seen != context_->pinnedSha256) {
        failure_ = "its certificate (SHA-256 " + seen +
                   ") is not the one pinned; check the fingerprint the presenter shows";
        return false;
      }
    }
    return true;
  }
  const int error = SSL_get_error(ssl_, rc);
  wantsWrite_ = error == SSL_ERROR_WANT_WRITE;
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return true;
  const long verify = SSL_get_verify_result(ssl_);
  if (!asServer_ && verify != X509_V_OK) {
    failure_ = "its certificate is not trusted by the CA file " + context_->caFile + " (" +
               X509_verify_cert_error_string(verify) +
               "); ask the presenter for the CA that signed the session's certificate, or its "
               "fingerprint";
  } else if (!asServer_) {
    failure_ = "it did not answer with TLS (" + opensslReason() +
               "); the session may not be encrypted: join without a CA file or fingerprint, or "
               "ask the presenter to configure TLS";
  } else {
    failure_ = "the TLS handshake failed (" + opensslReason() + ")";
  }
  return false;
}

long Link::sendSome(const std::string& bytes) {
  if (ssl_ == nullptr) return net::sendSome(fd_.get(), bytes);
  if (!handshake()) return -1;
  if (!handshakeDone_ || bytes.empty()) return 0;
  ERR_clear_error();
  std::size_t written = 0;
  const int rc = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written);
  if (rc == 1) return long(written);
  const int error = SSL_get_error(ssl_, rc);
  wantsWrite_ = error == SSL_ERROR_WANT_WRITE;
  return (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) ? 0 : -1;
}

bool Link::receiveSome(std::string& out) {
  if (ssl_ == nullptr) return net::receiveSome(fd_.get(), out);
  if (!handshake()) return false;
  if (!handshakeDone_) return true;
  char buffer[16384];
  for (;;) {
    ERR_clear_error();
    std::size_t read = 0;
    const int rc = SSL_read_ex(ssl_, buffer, sizeof buffer, &read);
    if (rc == 1) {
      out.append(buffer, read);
      continue;
    }
    const int error = SSL_get_error(ssl_, rc);
    if (error == SSL_ERROR_WANT_READ) return true;
    if (error == SSL_ERROR_WANT_WRITE) {
      wantsWrite_ = true;
      return true;
    }
    return false;  // close_notify, or the peer went without one
  }
}

}  // namespace twinplan::teaching::net
