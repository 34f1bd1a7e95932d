#include "aws/sqs_client.h"

#include <cassert>
#include <charconv>
#include <set>

#include <boost/json/serialize.hpp>
#include <utility>

namespace estoque::aws::sqs {
namespace {

namespace json = boost::json;

// A request refused before it is sent, shaped like SQS's own refusal.
AwsError LocalRefusal(std::string_view code, std::string message) {
  AwsError error;
  error.code = std::string(code);
  error.message = "refused before sending: " + std::move(message);
  error.http_status = 400;
  return error;
}

bool ValidEntryId(std::string_view id) {
  if (id.empty() || id.size() > kBatchEntryIdBytesMax) return false;
  for (const char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!allowed) return false;
  }
  return true;
}

// The checks every batch shares: 1..kBatchEntriesMax entries, ids valid and distinct.
std::optional<AwsError> CheckBatchIds(const std::vector<std::string_view>& ids) {
  if (ids.empty()) {
    return LocalRefusal(kEmptyBatchRequestCode, "the batch has no entries");
  }
  if (ids.size() > kBatchEntriesMax) {
    return LocalRefusal(kTooManyEntriesCode, "the batch has " + std::to_string(ids.size()) +
                                                 " entries; at most " +
                                                 std::to_string(kBatchEntriesMax) + " are allowed");
  }
  std::set<std::string_view> seen;
  for (std::string_view id : ids) {
    if (!ValidEntryId(id)) {
      return LocalRefusal(kInvalidBatchEntryIdCode,
                          "batch entry id '" + std::string(id) +
                              "' is not 1 to 80 characters of A-Z a-z 0-9 - _");
    }
    if (!seen.insert(id).second) {
      return LocalRefusal(kBatchEntryIdsNotDistinctCode,
                          "batch entry id '" + std::string(id) + "' appears twice");
    }
  }
  return std::nullopt;
}

std::optional<AwsError> CheckVisibilityTimeout(int seconds) {
  if (seconds < 0 || seconds > kVisibilityTimeoutSecondsMax) {
    return LocalRefusal(kInvalidParameterValueCode,
                        "visibility timeout " + std::to_string(seconds) + " s is not in [0, " +
                            std::to_string(kVisibilityTimeoutSecondsMax) + "]");
  }
  return std::nullopt;
}

std::string StringField(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

// The objects of array `name`, skipping anything else; none when absent.
std::vector<const json::object*> ObjectsOf(const json::object& object, std::string_view name) {
  std::vector<const json::object*> objects;
  const json::value* array = object.if_contains(name);
  if (array == nullptr || !array->is_array()) return objects;
  for (const json::value& element : array->get_array()) {
    if (element.is_object()) objects.push_back(&element.get_object());
  }
  return objects;
}

std::vector<BatchEntryFailure> FailedEntries(const json::object& response) {
  std::vector<BatchEntryFailure> failed;
  for (const json::object* entry : ObjectsOf(response, "Failed")) {
    BatchEntryFailure failure;
    failure.id = StringField(*entry, "Id");
    failure.code = StringField(*entry, "Code");
    failure.message = StringField(*entry, "Message");
    const json::value* sender_fault = entry->if_contains("SenderFault");
    failure.sender_fault = sender_fault != nullptr && sender_fault->is_bool() &&
                           sender_fault->get_bool();
    failed.push_back(std::move(failure));
  }
  return failed;
}

BatchOutput ReadBatchOutput(const json::object& response) {
  BatchOutput output;
  for (const json::object* entry : ObjectsOf(response, "Successful")) {
    output.successful_ids.push_back(StringField(*entry, "Id"));
  }
  output.failed = FailedEntries(response);
  return output;
}

json::object QueueUrlBody(std::string_view queue_url) {
  return json::object{{"QueueUrl", queue_url}};
}

}  // namespace

std::string RedrivePolicy(std::string_view dead_letter_queue_arn, int max_receive_count) {
  assert(max_receive_count >= 1 && max_receive_count <= 1000);
  json::object policy{{"deadLetterTargetArn", dead_letter_queue_arn},
                      {"maxReceiveCount", max_receive_count}};
  return json::serialize(policy);
}

int Message::receive_count() const {
  const auto found = attributes.find("ApproximateReceiveCount");
  if (found == attributes.end()) return 0;
  int count = 0;
  const std::string& text = found->second;
  std::from_chars(text.data(), text.data() + text.size(), count);
  return count;
}

AwsClientConfig LongPollConfig(AwsClientConfig config, const ClientOptions& options) {
  assert(options.long_poll_timeout_margin.count() > 0);
  const std::chrono::milliseconds long_poll_timeout =
      std::chrono::seconds(kWaitTimeSecondsMax) + options.long_poll_timeout_margin;
  if (config.http.request_timeout < long_poll_timeout) {
    config.http.request_timeout = long_poll_timeout;
  }
  return config;
}

SqsClient::SqsClient(AwsClientConfig config, ClientOptions options)
    : client_(JsonServiceProtocol{std::string(kSigningName), std::string(kTargetPrefix)}, config),
      receive_client_(JsonServiceProtocol{std::string(kSigningName), std::string(kTargetPrefix)},
                      LongPollConfig(config, options)) {}

AwsResult<json::object> SqsClient::Call(std::string_view operation, const json::object& body) {
  return client_.Call(operation, body);
}

AwsResult<std::string> SqsClient::CreateQueue(const CreateQueueRequest& request) {
  json::object body{{"QueueName", request.queue_name}};
  if (!request.attributes.empty()) {
    json::object attributes;
    for (const auto& [name, value] : request.attributes) attributes[name] = value;
    body["Attributes"] = std::move(attributes);
  }
  AwsResult<json::object> response = client_.Call("CreateQueue", body);
  if (!response.ok()) return std::move(response).error();
  return StringField(*response, "QueueUrl");
}

AwsResult<std::string> SqsClient::GetQueueUrl(std::string_view queue_name) {
  AwsResult<json::object> response =
      client_.Call("GetQueueUrl", json::object{{"QueueName", queue_name}});
  if (!response.ok()) return std::move(response).error();
  return StringField(*response, "QueueUrl");
}

AwsResult<QueueAttributes> SqsClient::GetQueueAttributes(std::string_view queue_url,
                                                         const std::vector<std::string>& names) {
  assert(!names.empty());
  json::array attribute_names;
  for (const std::string& name : names) attribute_names.emplace_back(name);
  json::object body = QueueUrlBody(queue_url);
  body["AttributeNames"] = std::move(attribute_names);
  AwsResult<json::object> response = client_.Call("GetQueueAttributes", body);
  if (!response.ok()) return std::move(response).error();
  QueueAttributes attributes;
  if (const json::value* all = response->if_contains("Attributes"); all && all->is_object()) {
    for (const auto& [name, value] : all->get_object()) {
      if (value.is_string()) attributes[std::string(name)] = std::string(value.get_string());
    }
  }
  return attributes;
}

AwsResult<Done> SqsClient::DeleteQueue(std::string_view queue_url) {
  AwsResult<json::object> response = client_.Call("DeleteQueue", QueueUrlBody(queue_url));
  if (!response.ok()) return std::move(response).error();
  return Done{};
}

AwsResult<Done> SqsClient::PurgeQueue(std::string_view queue_url) {
  AwsResult<json::object> response = client_.Call("PurgeQueue", QueueUrlBody(queue_url));
  if (!response.ok()) return std::move(response).error();
  return Done{};
}

AwsResult<SendBatchOutput> SqsClient::SendMessageBatch(std::string_view queue_url,
                                                       const std::vector<SendEntry>& entries) {
  std::vector<std::string_view> ids;
  std::size_t payload_bytes = 0;
  for (const SendEntry& entry : entries) {
    ids.push_back(entry.id);
    payload_bytes += entry.body.size();
  }
  if (std::optional<AwsError> refusal = CheckBatchIds(ids)) return *std::move(refusal);
  for (const SendEntry& entry : entries) {
    if (entry.body.empty()) {
      return LocalRefusal(kInvalidParameterValueCode,
                          "batch entry '" + entry.id + "' has an empty body");
    }
  }
  if (payload_bytes > kBatchPayloadBytesMax) {
    return LocalRefusal(kBatchRequestTooLongCode,
                        "the batch's bodies are " + std::to_string(payload_bytes) +
                            " bytes in all; at most " + std::to_string(kBatchPayloadBytesMax) +
                            " are allowed");
  }
  json::array wire_entries;
  for (const SendEntry& entry : entries) {
    json::object wire{{"Id", entry.id}, {"MessageBody", entry.body}};
    if (entry.delay_seconds) wire["DelaySeconds"] = *entry.delay_seconds;
    wire_entries.emplace_back(std::move(wire));
  }
  json::object body = QueueUrlBody(queue_url);
  body["Entries"] = std::move(wire_entries);
  AwsResult<json::object> response = client_.Call("SendMessageBatch", body);
  if (!response.ok()) return std::move(response).error();
  SendBatchOutput output;
  for (const json::object* entry : ObjectsOf(*response, "Successful")) {
    output.successful.push_back({StringField(*entry, "Id"), StringField(*entry, "MessageId"),
                                 StringField(*entry, "MD5OfMessageBody")});
  }
  output.failed = FailedEntries(*response);
  return output;
}

AwsResult<std::vector<Message>> SqsClient::ReceiveMessage(const ReceiveRequest& request) {
  if (request.max_messages < 1 || request.max_messages > kReceiveMessagesMax) {
    return LocalRefusal(kInvalidParameterValueCode,
                        "MaxNumberOfMessages " + std::to_string(request.max_messages) +
                            " is not in [1, " + std::to_string(kReceiveMessagesMax) + "]");
  }
  if (request.wait_time_seconds < 0 || request.wait_time_seconds > kWaitTimeSecondsMax) {
    return LocalRefusal(kInvalidParameterValueCode,
                        "WaitTimeSeconds " + std::to_string(request.wait_time_seconds) +
                            " is not in [0, " + std::to_string(kWaitTimeSecondsMax) + "]");
  }
  json::object body = QueueUrlBody(request.queue_url);
  body["MaxNumberOfMessages"] = request.max_messages;
  body["WaitTimeSeconds"] = request.wait_time_seconds;
  if (request.visibility_timeout_seconds) {
    if (std::optional<AwsError> refusal =
            CheckVisibilityTimeout(*request.visibility_timeout_seconds)) {
      return *std::move(refusal);
    }
    body["VisibilityTimeout"] = *request.visibility_timeout_seconds;
  }
  if (!request.system_attribute_names.empty()) {
    json::array names;
    for (const std::string& name : request.system_attribute_names) names.emplace_back(name);
    body["MessageSystemAttributeNames"] = std::move(names);
  }
  AwsResult<json::object> response = receive_client_.Call("ReceiveMessage", body);
  if (!response.ok()) return std::move(response).error();
  std::vector<Message> messages;
  for (const json::object* wire : ObjectsOf(*response, "Messages")) {
    Message message;
    message.message_id = StringField(*wire, "MessageId");
    message.receipt_handle = StringField(*wire, "ReceiptHandle");
    message.body = StringField(*wire, "Body");
    message.md5_of_body = StringField(*wire, "MD5OfBody");
    if (const json::value* attributes = wire->if_contains("Attributes");
        attributes && attributes->is_object()) {
      for (const auto& [name, value] : attributes->get_object()) {
        if (value.is_string()) message.attributes[std::string(name)] = std::string(value.get_string());
      }
    }
    messages.push_back(std::move(message));
  }
  return messages;
}

AwsResult<BatchOutput> SqsClient::DeleteMessageBatch(std::string_view queue_url,
                                                     const std::vector<ReceiptEntry>& entries) {
  std::vector<std::string_view> ids;
  for (const ReceiptEntry& entry : entries) ids.push_back(entry.id);
  if (std::optional<AwsError> refusal = CheckBatchIds(ids)) return *std::move(refusal);
  json::array wire_entries;
  for (const ReceiptEntry& entry : entries) {
    wire_entries.emplace_back(json::object{{"Id", entry.id}, {"ReceiptHandle", entry.receipt_handle}});
  }
  json::object body = QueueUrlBody(queue_url);
  body["Entries"] = std::move(wire_entries);
  AwsResult<json::object> response = client_.Call("DeleteMessageBatch", body);
  if (!response.ok()) return std::move(response).error();
  return ReadBatchOutput(*response);
}

AwsResult<BatchOutput> SqsClient::ChangeMessageVisibilityBatch(
    std::string_view queue_url, const std::vector<VisibilityEntry>& entries) {
  std::vector<std::string_view> ids;
  for (const VisibilityEntry& entry : entries) ids.push_back(entry.id);
  if (std::optional<AwsError> refusal = CheckBatchIds(ids)) return *std::move(refusal);
  json::array wire_entries;
  for (const VisibilityEntry& entry : entries) {
    if (std::optional<AwsError> refusal = CheckVisibilityTimeout(entry.visibility_timeout_seconds)) {
      return *std::move(refusal);
    }
    wire_entries.emplace_back(json::object{{"Id", entry.id},
                                           {"ReceiptHandle", entry.receipt_handle},
                                           {"VisibilityTimeout", entry.visibility_timeout_seconds}});
  }
  json::object body = QueueUrlBody(queue_url);
  body["Entries"] = std::move(wire_entries);
  AwsResult<json::object> response = client_.Call("ChangeMessageVisibilityBatch", body);
  if (!response.ok()) return std::move(response).error();
  return ReadBatchOutput(*response);
}

}  // namespace estoque::aws::sqs
