// libshmkit from C++17: RAII handles over shmkit.h, an exception for a failed call, and the
// in-place forms (a claimed slot written directly, a borrowed message read as a string_view).
//
// usage: ping CHANNEL [PREFIX [COUNT]]   sends COUNT messages (default 3) and reads them back
#include <shmkit.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

// A failed call: what shmkit_last_error() said, and the status (a sysexits code).
struct shmkit_failure : std::runtime_error {
    int status;
    shmkit_failure(int code) : std::runtime_error(shmkit_last_error()), status(code) {}
};

void check(int status) {
    if (status != SHMKIT_OK) throw shmkit_failure(status);
}

struct writer_free {
    void operator()(shmkit_writer *writer) const { shmkit_writer_free(writer); }
};
struct reader_free {
    void operator()(shmkit_reader *reader) const { shmkit_reader_free(reader); }
};
using writer_ptr = std::unique_ptr<shmkit_writer, writer_free>;
using reader_ptr = std::unique_ptr<shmkit_reader, reader_free>;

writer_ptr open_writer(const char *channel, const char *prefix) {
    shmkit_writer *writer = nullptr;
    check(shmkit_writer_open(channel, prefix, 0, &writer));
    return writer_ptr(writer);
}

reader_ptr open_reader(const char *channel, const char *prefix) {
    shmkit_reader *reader = nullptr;
    check(shmkit_reader_open(channel, prefix, 0, &reader));
    return reader_ptr(reader);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CHANNEL [PREFIX [COUNT]]\n", argv[0]);
        return 64;
    }
    const char *prefix = argc > 2 ? argv[2] : nullptr;
    int count = argc > 3 ? std::atoi(argv[3]) : 3;
    try {
        writer_ptr writer = open_writer(argv[1], prefix);
        reader_ptr reader = open_reader(argv[1], prefix);
        for (int i = 0; i < count; i++) {
            std::string text = "ping " + std::to_string(i);
            void *slot = nullptr;
            size_t capacity = 0;
            check(shmkit_claim(writer.get(), &slot, &capacity, SHMKIT_FOREVER));
            if (text.size() > capacity) {  // capacity is the slot size
                check(shmkit_abandon(writer.get()));
                throw std::length_error(text + ": larger than a slot");
            }
            std::memcpy(slot, text.data(), text.size());
            check(shmkit_commit(writer.get(), text.size()));

            const void *data = nullptr;
            size_t length = 0;
            check(shmkit_borrow(reader.get(), &data, &length, 5));
            std::string_view message(static_cast<const char *>(data), length);
            std::printf("received '%.*s'\n", static_cast<int>(message.size()), message.data());
            check(shmkit_release(reader.get()));
        }
    } catch (const shmkit_failure &failure) {
        std::fprintf(stderr, "ping: %s\n", failure.what());
        return failure.status;
    } catch (const std::length_error &error) {
        std::fprintf(stderr, "ping: %s\n", error.what());
        return 65;
    }
    return 0;
}
