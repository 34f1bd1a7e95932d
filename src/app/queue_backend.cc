#include "app/queue_backend.h"

#include <spdlog/spdlog.h>

#include "aws/client_config.h"
#include "queue/embedded_dead_letters.h"
#include "queue/embedded_queue.h"
#include "queue/sqs_dead_letters.h"
#include "queue/sqs_queue.h"

namespace estoque::app {
namespace {

Status Named(const Status& status, const std::string& what) {
  return Status(status.code(), what + ": " + status.message());
}

Result<QueueBackend> OpenEmbedded(const ServeConfig& config, store::RocksEngine* engine) {
  queue::EmbeddedQueueOptions options;
  options.max_messages = config.queue_max_messages;
  options.max_bytes = config.queue_max_bytes;
  options.delete_on_acknowledge = true;  // its rows are in its own database, not the store's
  auto embedded = queue::EmbeddedQueue::Open(engine, options);
  if (!embedded.ok()) return Named(embedded.status(), "opening the queue");
  auto dead_letters = queue::EmbeddedDeadLetterQueue::Open(engine, embedded->get());
  if (!dead_letters.ok()) return Named(dead_letters.status(), "opening the dead-letter queue");
  QueueBackend backend;
  backend.queue = std::move(*embedded);
  backend.dead_letters = std::move(*dead_letters);
  backend.description = "embedded";
  return backend;
}

// An SQS node never reads the embedded queue: messages still waiting there would be lost to it.
Status CheckEmbeddedQueueEmpty(store::RocksEngine* engine) {
  queue::EmbeddedQueueOptions options;
  auto embedded = queue::EmbeddedQueue::Open(engine, options);
  if (!embedded.ok()) return Named(embedded.status(), "reading the embedded queue");
  const uint64_t waiting = (*embedded)->Stats().depth_messages;
  auto dead_letters = queue::EmbeddedDeadLetterQueue::Open(engine, embedded->get());
  if (dead_letters.ok() && (*dead_letters)->Depth() > 0) {
    spdlog::warn("{} dead letters of the embedded queue stay in the data directory; with --queue "
                 "sqs they are not listed (start with --queue embedded to manage them)",
                 (*dead_letters)->Depth());
  }
  (*embedded)->Close();
  if (waiting > 0) {
    return Status::InvalidArgument(
        "queue: the embedded queue of this data directory still holds " + std::to_string(waiting) +
        " accepted messages not yet applied; start once with --queue embedded to apply them (a "
        "clean stop drains it), then with --queue sqs");
  }
  return Status::Ok();
}

Result<QueueBackend> OpenSqs(const ServeConfig& config, store::RocksEngine* engine) {
  if (Status empty = CheckEmbeddedQueueEmpty(engine); !empty.ok()) return empty;
  const aws::ConfigSources sources{aws::ProcessEnvironment(), ""};
  Result<aws::AwsClientConfig> client_config = aws::ResolveClientConfig(sources, "sqs");
  if (!client_config.ok()) return Named(client_config.status(), "SQS configuration");
  QueueBackend backend;
  backend.sqs_client = std::make_unique<aws::sqs::SqsClient>(*client_config);
  queue::SqsQueueOptions options;
  options.queue_url = config.sqs_queue_url;
  options.visibility_timeout_seconds = config.sqs_visibility_timeout_s;
  options.pending_messages_max = config.queue_max_messages;
  options.pending_bytes_max = config.queue_max_bytes;
  auto sqs_queue = queue::SqsQueue::Open(backend.sqs_client.get(), options);
  if (!sqs_queue.ok()) return Named(sqs_queue.status(), "opening the SQS queue");
  if (!config.sqs_dlq_url.empty()) {
    queue::SqsDeadLetterOptions dead_letter_options;
    dead_letter_options.queue_url = config.sqs_dlq_url;
    auto dead_letters = queue::SqsDeadLetterQueue::Open(sqs_queue->get(), dead_letter_options);
    if (!dead_letters.ok()) return Named(dead_letters.status(), "opening the SQS dead-letter queue");
    backend.dead_letters = std::move(*dead_letters);
  } else {
    spdlog::warn("--queue sqs without --sqs-dlq-url: a poison message is retried, never set aside");
  }
  backend.queue = std::move(*sqs_queue);
  backend.drain_on_shutdown = false;
  backend.description = "sqs " + config.sqs_queue_url + " (endpoint " +
                        client_config->endpoint.Url() + ", region " + client_config->region + ")";
  return backend;
}

}  // namespace

Result<QueueBackend> OpenQueueBackend(const ServeConfig& config, store::RocksEngine* queue_engine) {
  if (config.queue == "sqs") return OpenSqs(config, queue_engine);
  return OpenEmbedded(config, queue_engine);
}

}  // namespace estoque::app
