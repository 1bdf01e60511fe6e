#include "gorch/planner/value_json.h"

#include <nlohmann/json.hpp>

namespace gorch::planner {

namespace {

using Json = nlohmann::ordered_json;

lang::Value FromNlohmann(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return lang::Value::Null();
    case Json::value_t::boolean: return lang::Value::Bool(j.get<bool>());
    case Json::value_t::number_integer: return lang::Value::Int(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return lang::Value::Int(static_cast<int64_t>(u));
      return lang::Value::Float(static_cast<double>(u));
    }
    case Json::value_t::number_float: return lang::Value::Float(j.get<double>());
    case Json::value_t::string: return lang::Value::String(j.get<std::string>());
    case Json::value_t::array: {
      lang::Value::List l;
      l.reserve(j.size());
      for (const auto& e : j) l.push_back(FromNlohmann(e));
      return lang::Value::MakeList(std::move(l));
    }
    case Json::value_t::object: {
      lang::Value::Map m;
      m.reserve(j.size());
      for (const auto& [k, v] : j.items()) m.emplace_back(k, FromNlohmann(v));
      return lang::Value::MakeMap(std::move(m));
    }
    default: return lang::Value::Null();
  }
}

}  // namespace

Result<lang::Value> ParseJsonValue(std::string_view text, std::string_view file_name) {
  try {
    return FromNlohmann(Json::parse(text));
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string(file_name) + ": " + e.what());
  }
}

}  // namespace gorch::planner
