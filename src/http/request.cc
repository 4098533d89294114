#include "http/request.h"

#include <algorithm>
#include <cctype>

namespace nightjar::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_header(const RequestSpec& spec, std::string_view name) {
  return std::any_of(spec.headers.begin(), spec.headers.end(),
                     [&](const auto& h) { return iequals(h.first, name); });
}

}  // namespace

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

Result<std::pair<std::string, std::string>> parse_header(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Status::invalid_argument("header " + quoted + " needs the form 'Name: value'");
  }
  std::string_view name = text.substr(0, colon);
  std::string_view value = text.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (name.empty()) return Status::invalid_argument("header " + quoted + " has an empty name");
  if (!is_token(name)) {
    return Status::invalid_argument("header " + quoted + " has an invalid character in its name");
  }
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    return Status::invalid_argument("header " + quoted + " has a line break in its value");
  }
  return std::pair{std::string(name), std::string(value)};
}

std::string serialize_http1_request(const RequestSpec& spec, const Url& url) {
  std::string out;
  out.reserve(256 + spec.body.size());
  out += spec.method;
  out += ' ';
  out += url.path_and_query;
  out += " HTTP/1.1\r\n";
  if (!has_header(spec, "host")) out += "Host: " + url.authority + "\r\n";
  if (!has_header(spec, "user-agent")) out += "User-Agent: nightjar/0.1\r\n";
  for (const auto& [name, value] : spec.headers) out += name + ": " + value + "\r\n";
  if (!spec.body.empty() && !has_header(spec, "content-length")) {
    out += "Content-Length: " + std::to_string(spec.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += spec.body;
  return out;
}

}  // namespace nightjar::http
