// Status: the outcome of an operation that can fail for reasons outside the program
// (input, disk, network). Errors are values at module edges; bugs are asserts.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace estoque {

// Codes a caller can act on. Unavailable and ResourceExhausted are retryable.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller sent something malformed; do not retry unchanged
  kNotFound,           // the named thing does not exist
  kConflict,           // a precondition on current state failed
  kResourceExhausted,  // a bound was hit (queue full, too many items); retry later
  kUnavailable,        // transient failure (I/O, shutting down); retry later
  kCorruption,         // stored data failed a check; needs an operator
  kInternal,           // an invariant of ours failed; a bug
};

// Returns the stable lower_snake name of `code` ("invalid_argument", ...).
std::string_view StatusCodeName(StatusCode code);

// Immutable value type; cheap to copy when ok (no allocation). Thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: <message>", or "ok".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace estoque
