// Authentication for the git mirror: libgit2's credential and certificate
// callbacks, OpenSSH known_hosts matching, and keeping secrets out of messages.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "mirror_internal.h"

namespace gorch::engine {

namespace {

// The authority part of a `scheme://authority/path` url: [begin, end) in url, or
// {npos, npos} for a url without a scheme (a path, or scp-like user@host:path).
std::pair<size_t, size_t> Authority(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {std::string_view::npos, std::string_view::npos};
  size_t begin = scheme + 3;
  size_t end = url.find('/', begin);
  return {begin, end == std::string_view::npos ? url.size() : end};
}

// The password of a `scheme://user:password@host` url, empty when none.
std::string UrlPassword(std::string_view url) {
  auto [begin, end] = Authority(url);
  if (begin == std::string_view::npos) return "";
  std::string_view authority = url.substr(begin, end - begin);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return "";
  std::string_view userinfo = authority.substr(0, at);
  size_t colon = userinfo.find(':');
  return colon == std::string_view::npos ? "" : std::string(userinfo.substr(colon + 1));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// OpenSSH-style glob: `*` any run, `?` one character; the caller lowercases both.
bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p, ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1, t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// Base64 (padded, as in known_hosts); nullopt when malformed.
std::optional<std::string> DecodeBase64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t padding = in.size() - std::min(in.size(), in.find_last_not_of('=') + 1);
  out.resize(static_cast<size_t>(n) - std::min<size_t>(padding, static_cast<size_t>(n)));
  return out;
}

// A hashed known_hosts host field, `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
bool HashedHostMatches(std::string_view field, const std::string& name) {
  std::string_view rest = field.substr(3);
  size_t bar = rest.find('|');
  if (bar == std::string_view::npos) return false;
  auto salt = DecodeBase64(rest.substr(0, bar));
  auto hash = DecodeBase64(rest.substr(bar + 1));
  if (!salt || !hash) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()),
            reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &mac_len))
    return false;
  return mac_len == hash->size() && std::memcmp(mac, hash->data(), mac_len) == 0;
}

// Whether a known_hosts host field (comma-separated patterns, or one hashed entry)
// matches name; a matching negated pattern wins over every positive one.
bool HostFieldMatches(std::string_view field, const std::string& name) {
  if (field.rfind("|1|", 0) == 0) return HashedHostMatches(field, name);
  bool matched = false;
  std::string patterns = Lower(field);
  std::stringstream list(patterns);
  std::string pattern;
  while (std::getline(list, pattern, ',')) {
    bool negated = !pattern.empty() && pattern[0] == '!';
    if (negated) pattern.erase(0, 1);
    if (!GlobMatch(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

// Reads a credentials file, trimmed of trailing newlines. The message names the
// file, never its content.
Result<std::string> ReadSecretFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Unavailable(std::string("cannot read the ") + what + " " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

using mirror_internal::FetchSession;

// Refuses to go on: records why for the Fetch's message, and tells libgit2.
int Refuse(FetchSession& session, std::string why, int code) {
  session.failure = std::move(why);
  git_error_set_str(GIT_ERROR_CALLBACK, session.failure.c_str());
  return code;
}

// libgit2 asks again after a refused credential: each type is offered once.
bool FirstOffer(FetchSession& session, unsigned type) {
  if (session.tried_types & type) return false;
  session.tried_types |= type;
  return true;
}

int AcquireCredential(git_credential** out, const char* /*url*/, const char* username_from_url,
                      unsigned int allowed, void* payload) {
  auto& session = *static_cast<FetchSession*>(payload);
  const GitCredentials& creds = *session.creds;
  const std::string user = username_from_url && *username_from_url ? username_from_url
                           : creds.username.empty()                ? "git"
                                                                   : creds.username;
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !creds.ssh_key_file.empty()) {
    if (!FirstOffer(session, GIT_CREDENTIAL_SSH_KEY))
      return Refuse(session, "authentication failed: the remote refused the ssh key " + creds.ssh_key_file +
                                 " for user '" + user + "'", GIT_EAUTH);
    std::string passphrase;
    if (!creds.ssh_passphrase_file.empty()) {
      auto read = ReadSecretFile(creds.ssh_passphrase_file, "ssh passphrase file");
      if (!read.ok()) return Refuse(session, read.status().message(), GIT_EAUTH);
      passphrase = std::move(read.value());
      session.secrets.push_back(passphrase);
    }
    if (!std::filesystem::exists(creds.ssh_key_file))
      return Refuse(session, "cannot read the ssh key file " + creds.ssh_key_file + ": no such file", GIT_EAUTH);
    const std::string pub = creds.ssh_key_file + ".pub";
    const bool has_pub = std::filesystem::exists(pub);
    return git_credential_ssh_key_new(out, user.c_str(), has_pub ? pub.c_str() : nullptr,
                                      creds.ssh_key_file.c_str(), passphrase.empty() ? nullptr : passphrase.c_str());
  }
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !creds.password_file.empty()) {
    if (!FirstOffer(session, GIT_CREDENTIAL_USERPASS_PLAINTEXT))
      return Refuse(session, "authentication failed: the remote refused the password of " + creds.password_file +
                                 " for user '" + user + "'", GIT_EAUTH);
    auto password = ReadSecretFile(creds.password_file, "password file");
    if (!password.ok()) return Refuse(session, password.status().message(), GIT_EAUTH);
    session.secrets.push_back(password.value());
    return git_credential_userpass_plaintext_new(out, user.c_str(), password->c_str());
  }
  if ((allowed & GIT_CREDENTIAL_USERNAME) && FirstOffer(session, GIT_CREDENTIAL_USERNAME))
    return git_credential_username_new(out, user.c_str());
  if (session.tried_types != 0)
    return Refuse(session, "authentication failed: the remote refused the credentials offered", GIT_EAUTH);
  if (session.url_has_password)
    return Refuse(session, "authentication failed: the remote refused the credentials in the url", GIT_EAUTH);
  return Refuse(session, "authentication required: the remote asks for credentials and no credentials are configured",
                GIT_EAUTH);
}

int CheckCertificate(git_cert* cert, int valid, const char* host, void* payload) {
  auto& session = *static_cast<FetchSession*>(payload);
  const GitCredentials& creds = *session.creds;
  if (creds.insecure_skip_host_check) return 0;
  const std::string host_name = host ? host : "";
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) {  // https: the system's CA store decided
    if (valid) return 0;
    return Refuse(session, "the TLS certificate of " + host_name + " is not trusted", GIT_ECERTIFICATE);
  }
  const std::string where = session.ssh_port == 22 ? host_name : host_name + ":" + std::to_string(session.ssh_port);
  if (creds.ssh_known_hosts_file.empty())
    return Refuse(session, "the ssh host key of " + where + " is not trusted: no known_hosts file is configured",
                  GIT_ECERTIFICATE);
  auto known_hosts = ReadSecretFile(creds.ssh_known_hosts_file, "known_hosts file");
  if (!known_hosts.ok()) return Refuse(session, known_hosts.status().message(), GIT_ECERTIFICATE);
  const auto* key = reinterpret_cast<const git_cert_hostkey*>(cert);
  if (!(key->type & GIT_CERT_SSH_RAW) || !key->hostkey)
    return Refuse(session, "the ssh host key of " + where + " cannot be checked: libssh2 gave no raw key",
                  GIT_ECERTIFICATE);
  if (KnownHostsListKey(known_hosts.value(), host_name, session.ssh_port,
                        std::string_view(key->hostkey, key->hostkey_len)))
    return 0;
  return Refuse(session, "the ssh host key of " + where + " is not listed in " + creds.ssh_known_hosts_file,
                GIT_ECERTIFICATE);
}

}  // namespace

std::string RedactGitUrl(std::string_view url) {
  auto [begin, end] = Authority(url);
  if (begin == std::string_view::npos) return std::string(url);
  std::string_view authority = url.substr(begin, end - begin);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  size_t colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, begin + colon)) + std::string(url.substr(begin + at));
}

bool KnownHostsListKey(std::string_view known_hosts, std::string_view host, int port, std::string_view key_blob) {
  const std::string name = port == 22 ? Lower(host) : "[" + Lower(host) + "]:" + std::to_string(port);
  bool listed = false;
  std::istringstream lines{std::string(known_hosts)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string first, hosts, type, key;
    if (!(fields >> first) || first[0] == '#') continue;
    std::string marker;
    if (first[0] == '@') {
      marker = first;
      if (!(fields >> hosts)) continue;
    } else {
      hosts = first;
    }
    if (!(fields >> type >> key)) continue;
    if (marker == "@cert-authority" || !HostFieldMatches(hosts, name)) continue;
    auto blob = DecodeBase64(key);
    if (!blob || *blob != key_blob) continue;
    if (marker == "@revoked") return false;
    if (marker.empty()) listed = true;
  }
  return listed;
}

namespace mirror_internal {

std::string LastGitError() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

void InstallCallbacks(git_remote_callbacks& callbacks, FetchSession& session) {
  callbacks.credentials = AcquireCredential;
  callbacks.certificate_check = CheckCertificate;
  callbacks.payload = &session;
}

std::string Scrub(std::string message, const FetchSession& session) {
  for (const std::string& secret : session.secrets) {
    if (secret.empty()) continue;
    for (size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at + 3))
      message.replace(at, secret.size(), "***");
  }
  return message;
}

std::string UrlSecret(const std::string& url) { return UrlPassword(url); }

int SshPort(const std::string& url) {
  auto [begin, end] = Authority(url);
  if (begin == std::string::npos) return 22;  // scp-like user@host:path has no port
  std::string_view authority = std::string_view(url).substr(begin, end - begin);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.find(']', colon) != std::string_view::npos) return 22;
  int port = 0;
  for (char c : authority.substr(colon + 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return 22;
    port = port * 10 + (c - '0');
    if (port > 65535) return 22;
  }
  return port == 0 ? 22 : port;
}

}  // namespace mirror_internal

}  // namespace gorch::engine
