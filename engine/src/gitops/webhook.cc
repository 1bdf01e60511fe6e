// The pure half of the webhook (webhook.h): signature and token checks, and the
// parsing of GitHub and GitLab push payloads. No I/O; the HTTP server is in
// webhook_server.cc.
#include "gorch/engine/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <initializer_list>
#include <nlohmann/json.hpp>

namespace gorch::engine {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSha256Prefix = "sha256=";
constexpr size_t kSha256Bytes = 32;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes exactly out.size() bytes from 2 * out.size() hex digits; false otherwise.
bool DecodeHex(std::string_view hex, std::array<unsigned char, kSha256Bytes>& out) {
  if (hex.size() != 2 * out.size()) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

std::string_view Header(const std::map<std::string, std::string>& headers, const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

// Percent-decodes one application/x-www-form-urlencoded component ('+' is a space).
Result<std::string> FormDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("form body has a bad percent escape at byte " + std::to_string(i));
      }
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The decoded `payload` field of a form-encoded delivery (GitHub's "Content type:
// application/x-www-form-urlencoded" setting).
Result<std::string> FormPayload(std::string_view body) {
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    size_t eq = pair.find('=');
    Result<std::string> key = FormDecode(pair.substr(0, eq));
    if (!key.ok()) return key.status();
    if (*key != "payload") continue;
    if (eq == std::string_view::npos) break;
    return FormDecode(pair.substr(eq + 1));
  }
  return Status::InvalidArgument("form-encoded delivery has no \"payload\" field");
}

// The string at obj[key], or "" when absent or not a string.
std::string StringField(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// Appends obj[key] for each key that holds a non-empty string not already in `urls`.
void AddUrls(const Json& obj, std::initializer_list<const char*> keys, std::vector<std::string>& urls) {
  for (const char* key : keys) {
    std::string url = StringField(obj, key);
    if (url.empty()) continue;
    bool seen = false;
    for (const std::string& u : urls) seen = seen || u == url;
    if (!seen) urls.push_back(std::move(url));
  }
}

const Json& Member(const Json& obj, const char* key) {
  static const Json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

bool IsPush(const DeliveryKind& kind) {
  if (kind.provider == "github") return kind.event == "push";
  return kind.event == "Push Hook" || kind.event == "Tag Push Hook";
}

// The repository fields of a GitHub push payload. `homepage` is left out: on GitHub it
// is the project's website, not the repository.
void ReadGithubRepository(const Json& payload, PushEvent& event) {
  const Json& repo = Member(payload, "repository");
  AddUrls(repo, {"clone_url", "ssh_url", "html_url", "git_url", "svn_url", "url", "mirror_url"},
          event.repo_urls);
  event.repo_full_name = StringField(repo, "full_name");
}

// The project and repository fields of a GitLab push payload (the older `repository`
// object repeats most urls of `project`; both are read, duplicates dropped).
void ReadGitlabProject(const Json& payload, PushEvent& event) {
  const Json& project = Member(payload, "project");
  AddUrls(project, {"git_http_url", "git_ssh_url", "web_url", "http_url", "ssh_url", "url", "homepage"},
          event.repo_urls);
  AddUrls(Member(payload, "repository"), {"git_http_url", "git_ssh_url", "url", "homepage"}, event.repo_urls);
  event.repo_full_name = StringField(project, "path_with_namespace");
}

bool AllZeros(std::string_view sha) {
  return !sha.empty() && sha.find_first_not_of('0') == std::string_view::npos;
}

}  // namespace

bool VerifyHubSignature256(std::string_view secret, std::string_view body, std::string_view header) {
  if (secret.empty() || header.substr(0, kSha256Prefix.size()) != kSha256Prefix) return false;
  std::array<unsigned char, kSha256Bytes> given{};
  if (!DecodeHex(header.substr(kSha256Prefix.size()), given)) return false;
  std::array<unsigned char, EVP_MAX_MD_SIZE> expected{};
  unsigned int expected_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), expected.data(),
           &expected_len) == nullptr ||
      expected_len != kSha256Bytes) {
    return false;
  }
  return CRYPTO_memcmp(given.data(), expected.data(), kSha256Bytes) == 0;
}

bool VerifyGitlabToken(std::string_view secret, std::string_view token) {
  if (secret.empty()) return false;
  // Comparing digests keeps the comparison constant-time even when the lengths differ.
  std::array<unsigned char, SHA256_DIGEST_LENGTH> want{};
  std::array<unsigned char, SHA256_DIGEST_LENGTH> got{};
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), want.data());
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), got.data());
  return CRYPTO_memcmp(want.data(), got.data(), want.size()) == 0;
}

DeliveryKind ClassifyDelivery(const std::map<std::string, std::string>& headers) {
  if (auto it = headers.find("x-github-event"); it != headers.end()) return {"github", it->second};
  if (auto it = headers.find("x-gitlab-event"); it != headers.end()) return {"gitlab", it->second};
  return {};
}

Result<PushEvent> ParsePushEvent(const std::map<std::string, std::string>& headers, std::string_view body) {
  DeliveryKind kind = ClassifyDelivery(headers);
  if (kind.provider.empty()) {
    return Status::InvalidArgument("no X-GitHub-Event or X-Gitlab-Event header: not a GitHub or GitLab delivery");
  }
  if (!IsPush(kind)) return Status::NotFound("not a push event: " + kind.event);

  std::string form_payload;
  if (Header(headers, "content-type").starts_with("application/x-www-form-urlencoded")) {
    Result<std::string> decoded = FormPayload(body);
    if (!decoded.ok()) return decoded.status();
    form_payload = std::move(decoded).value();
    body = form_payload;
  }
  Json payload;
  try {
    payload = Json::parse(body);
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("payload is not JSON: ") + e.what());
  }
  if (!payload.is_object()) return Status::InvalidArgument("payload is not a JSON object");
  const Json& ref = Member(payload, "ref");
  if (!ref.is_string() || ref.get<std::string>().empty()) {
    return Status::InvalidArgument("push payload has no \"ref\" string");
  }

  PushEvent event;
  event.provider = kind.provider;
  event.ref = ref.get<std::string>();
  constexpr std::string_view kHeads = "refs/heads/";
  if (event.ref.starts_with(kHeads)) event.branch = event.ref.substr(kHeads.size());
  event.after = StringField(payload, "after");
  const Json& deleted = Member(payload, "deleted");
  event.deleted = (deleted.is_boolean() && deleted.get<bool>()) || AllZeros(event.after);
  if (kind.provider == "github") {
    ReadGithubRepository(payload, event);
  } else {
    ReadGitlabProject(payload, event);
  }
  return event;
}

}  // namespace gorch::engine
