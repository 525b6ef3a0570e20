#include "gui/system_status.h"

#include <QFile>

#include "tensor/kernels.h"
#include "util/memory.h"
#include "util/thread_pool.h"

namespace pareto::gui {
namespace {

QString latin1(std::string_view s) { return QString::fromLatin1(s.data(), static_cast<qsizetype>(s.size())); }

QString cpu_model() {
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    // x86: "model name"; arm64 kernels often give only "CPU part" numbers.
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("model name") || line.startsWith("Model")) {
            const int colon = line.indexOf(':');
            if (colon > 0) return QString::fromUtf8(line.mid(colon + 1)).simplified();
        }
    return {};
}

}  // namespace

SystemStatus::SystemStatus(QObject* parent) : QObject(parent) {
    simd_ = latin1(simd_name(kernels().level));
    for (SimdLevel l : {SimdLevel::Scalar, SimdLevel::AVX2, SimdLevel::AVX512, SimdLevel::AVX512_VNNI, SimdLevel::NEON})
        if (simd_supported(l)) levels_ << latin1(simd_name(l));
    cpu_ = cpu_model();
    sample();
    timer_.setInterval(1000);
    connect(&timer_, &QTimer::timeout, this, &SystemStatus::sample);
    timer_.start();
}

int SystemStatus::hardwareThreads() const { return ThreadPool::hardware_threads(); }

void SystemStatus::sample() {
    rss_ = static_cast<double>(current_rss_bytes());
    peak_ = static_cast<double>(peak_rss_bytes());
    available_ = static_cast<double>(available_memory_bytes());
    emit sampled();
}

}  // namespace pareto::gui
