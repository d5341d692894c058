// tessera-bench: FP32 reference-executor latency on the bundled models (and the generated
// ResNet-50 of scripts/make-real-models.sh when present), one whole test batch per run,
// on --threads kernel threads (default 1). Optionally joins ONNX Runtime timings measured by
// scripts/bench.sh (bench/ort/) into one table with the Tessera/ORT ratio.
//
//   tessera-bench                         # every model, 5 timed runs after 1 warm-up
//   tessera-bench --models mnist_wide --runs 3 --profile
//   tessera-bench --write-bin DIR         # inputs as raw .bin + .json for the ORT runner
//   tessera-bench --ort ort_times.txt     # lines "<model> <wall ms> <CPU ms>" -> ratio columns
#include "core/Memory.h"
#include "core/Error.h"
#include "core/Executor.h"
#include "core/Parallel.h"
#include "core/io/Npy.h"
#include "core/onnx/OnnxImporter.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

using namespace tessera;

namespace {

struct BenchModel {
    std::string name;
    std::string model;     // relative to the data dir
    std::string input;     // .npy batch
    std::string inputName; // the model's graph input
    std::string labels;    // int64 .npy, empty when there are none
    bool generated = false; // in the --real-models folder (scripts/make-real-models.sh), not committed
};

// The models of docs/benchmarks.md; inputs are each model's full bundled test batch.
const std::vector<BenchModel> kModels = {
    {"mnist_wide", "mnist/mnist_wide.onnx", "mnist/mnist_test_x.npy", "input", "mnist/mnist_test_y.npy"},
    {"mnist_lenet", "mnist/mnist_lenet.onnx", "mnist/mnist_test_x.npy", "input", "mnist/mnist_test_y.npy"},
    {"mnist_mobile", "mnist/mnist_mobile.onnx", "mnist/mnist_test_x.npy", "input", "mnist/mnist_test_y.npy"},
    {"digits_cnn", "digits/digits_cnn.onnx", "digits/digits_test_x8.npy", "input", "digits/digits_test_y.npy"},
    {"digits_resnet", "digits/digits_resnet.onnx", "digits/digits_test_x16.npy", "input", "digits/digits_test_y.npy"},
    {"ocr_cls", "ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx", "ocr/cls_in.npy", "x", ""},
    {"resnet50", "resnet50.onnx", "resnet50_x1.npy", "input", "", true},
};

struct Options {
    std::string dataDir = TESSERA_MODELS_DIR;
    std::string realDir = TESSERA_REAL_MODELS_DIR;
    std::vector<std::string> models;
    int runs = 5;
    int threads = 1;
    int warmup = 1;
    int64_t chunk = 0;
    bool noCleanup = false;
    bool profile = false;
    bool profileNodes = false;
    std::string ortFile;
    std::string writeBin;
};

struct Result {
    std::string name;
    int64_t batch = 0;
    double medianMs = 0, minMs = 0; // wall
    double cpuMedianMs = 0;
    double top1 = -1;
    size_t plannedMb = 0;
};

std::string pathOf(const BenchModel& m, const Options& opt, const std::string& file)
{
    return (m.generated ? opt.realDir : opt.dataDir) + "/" + file;
}

// Generated models are optional: absent ones are skipped with a note on stderr.
bool available(const BenchModel& m, const Options& opt)
{
    if (!m.generated || std::ifstream(pathOf(m, opt, m.model)).good())
        return true;
    std::fprintf(stderr, "tessera-bench: skipping %s: %s not found (scripts/make-real-models.sh %s writes it)\n",
                 m.name.c_str(), pathOf(m, opt, m.model).c_str(), opt.realDir.c_str());
    return false;
}

// Process CPU time in ms: on a shared machine it moves far less than wall time when other
// work competes for the cores (the executor is single-threaded, so CPU time ~ latency).
double cpuMs()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

double wallMs()
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Rows [begin, begin + count) of a batch tensor, as its own tensor.
Tensor rows(const Tensor& batch, int64_t begin, int64_t count)
{
    Shape shape = batch.shape();
    shape[0] = count;
    const size_t rowBytes = batch.byteSize() / static_cast<size_t>(batch.dim(0));
    Tensor out(batch.dtype(), shape);
    std::memcpy(out.mutableRawData(), static_cast<const char*>(batch.rawData()) + rowBytes * begin, rowBytes * count);
    return out;
}

double topOne(const Tensor& scores, const Tensor& labels)
{
    const int64_t classes = scores.dim(-1), n = scores.numel() / classes;
    const float* s = scores.data<float>();
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i)
        correct += std::max_element(s + i * classes, s + (i + 1) * classes) - (s + i * classes) == labels.valueAsInt(i);
    return 100.0 * static_cast<double>(correct) / static_cast<double>(n);
}

// Prints the share of time per op type (time between observer calls = the node's time).
void printProfile(const std::map<std::string, double>& msByOp, double totalMs)
{
    std::vector<std::pair<std::string, double>> sorted(msByOp.begin(), msByOp.end());
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.second > b.second; });
    for (const auto& [op, ms] : sorted)
        std::printf("    %-20s %9.1f ms  %5.1f%%\n", op.c_str(), ms, 100.0 * ms / totalMs);
}

Result benchModel(const BenchModel& m, const Options& opt)
{
    Tensor input = readNpy(pathOf(m, opt, m.input));
    const int64_t batch = input.dim(0);
    const int64_t chunk = opt.chunk > 0 && opt.chunk < batch ? opt.chunk : batch;
    if (batch % chunk != 0)
        fail("--chunk ", chunk, " does not divide the batch of ", batch, " for ", m.name);
    ImportOptions importOptions;
    importOptions.inputShapes[m.inputName] = rows(input, 0, 1).shape();
    importOptions.inputShapes[m.inputName][0] = chunk;
    importOptions.runCleanupPasses = !opt.noCleanup;
    ImportedModel model = importOnnxFile(pathOf(m, opt, m.model), importOptions);
    Executor exec(model.graph);
    std::vector<Tensor> chunks;
    for (int64_t b = 0; b < batch; b += chunk)
        chunks.push_back(rows(input, b, chunk));

    std::map<std::string, double> msByOp; // CPU ms per op type
    double last = 0;
    Executor::NodeObserver observer = [&](NodeId, const Node& node, const std::vector<const Tensor*>&) {
        const double now = cpuMs();
        msByOp[opt.profileNodes ? describeNode(node) : node.opType] += now - last;
        last = now;
    };
    std::vector<double> times, cpuTimes;
    std::vector<Tensor> outputs;
    for (int r = 0; r < opt.warmup + opt.runs; ++r) {
        const bool timed = r >= opt.warmup;
        outputs.clear();
        const double start = wallMs(), cpuStart = cpuMs();
        for (const Tensor& c : chunks) {
            last = cpuMs();
            outputs.push_back(exec.run({c}, timed && (opt.profile || opt.profileNodes) ? observer : Executor::NodeObserver{})[0]);
        }
        if (timed) {
            times.push_back(wallMs() - start);
            cpuTimes.push_back(cpuMs() - cpuStart);
        }
    }
    Result res{m.name, batch, median(times), *std::min_element(times.begin(), times.end()), median(cpuTimes)};
    res.plannedMb = exec.plannedBytes() >> 20;
    if (!m.labels.empty()) {
        Tensor labels = readNpy(pathOf(m, opt, m.labels));
        double sum = 0;
        for (size_t i = 0; i < outputs.size(); ++i)
            sum += topOne(outputs[i], rows(labels, static_cast<int64_t>(i) * chunk, chunk));
        res.top1 = sum / static_cast<double>(outputs.size());
    }
    if (opt.profile || opt.profileNodes) {
        std::printf("  %s CPU time per op type (sum of %d runs):\n", m.name.c_str(), opt.runs);
        double total = 0;
        for (double t : cpuTimes)
            total += t;
        printProfile(msByOp, total);
    }
    return res;
}

void writeBin(const BenchModel& m, const Options& opt)
{
    Tensor input = readNpy(pathOf(m, opt, m.input));
    const std::string base = opt.writeBin + "/" + m.name;
    std::ofstream(base + ".bin", std::ios::binary)
        .write(static_cast<const char*>(input.rawData()), static_cast<std::streamsize>(input.byteSize()));
    std::ostringstream json;
    json << "{\"shape\":[";
    for (int64_t i = 0; i < input.rank(); ++i)
        json << (i ? "," : "") << input.dim(i);
    json << "],\"dtype\":\"float32\",\"name\":\"" << m.inputName << "\"}\n";
    std::ofstream(base + ".json") << json.str();
    std::printf("%s %s %s\n", m.name.c_str(), (pathOf(m, opt, m.model)).c_str(), (base + ".bin").c_str());
}

struct OrtTime {
    double wallMs = 0, cpuMs = 0, bestMs = 0;
};

// Lines "<model> <median wall ms> <median CPU ms> [<best wall ms>]" as written by bench/ort/bench-ort.js.
std::map<std::string, OrtTime> readOrtTimes(const std::string& path)
{
    std::map<std::string, OrtTime> times;
    std::ifstream in(path);
    if (!in)
        fail("cannot read ORT timings '", path, "'");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name;
        OrtTime t;
        if (fields >> name >> t.wallMs >> t.cpuMs) {
            if (!(fields >> t.bestMs))
                t.bestMs = t.wallMs;
            times[name] = t;
        }
    }
    return times;
}

std::string formatMs(double ms) { return strCat(static_cast<int64_t>(ms * 10 + 0.5) / 10.0); }

std::string formatRatio(double num, double den)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.2fx", num / den);
    return text;
}

void printTable(const std::vector<Result>& results, const std::map<std::string, OrtTime>& ort)
{
    std::printf("\n| model | batch | threads | Tessera best ms | ORT best ms | best ratio | Tessera CPU ms | ORT CPU ms "
                "| CPU ratio | top-1 |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Result& r : results) {
        auto it = ort.find(r.name);
        const bool have = it != ort.end();
        std::string top1 = "-";
        if (r.top1 >= 0)
            top1 = strCat(static_cast<int64_t>(r.top1 * 100 + 0.5) / 100.0, "%");
        std::printf("| %s | %lld | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.name.c_str(),
                    static_cast<long long>(r.batch), threadCount(), formatMs(r.minMs).c_str(),
                    have ? formatMs(it->second.bestMs).c_str() : "-",
                    have ? formatRatio(r.minMs, it->second.bestMs).c_str() : "-", formatMs(r.cpuMedianMs).c_str(),
                    have ? formatMs(it->second.cpuMs).c_str() : "-",
                    have ? formatRatio(r.cpuMedianMs, it->second.cpuMs).c_str() : "-", top1.c_str());
    }
}

} // namespace

int main(int argc, char** argv)
{
    tessera::keepFreedMemoryForReuse();
    Options opt;
    CLI::App app{"Tessera FP32 executor benchmark"};
    app.add_option("--data", opt.dataDir, "folder with mnist/, digits/, ocr/ (default: tests/data/models)");
    app.add_option("--real-models", opt.realDir, "folder of scripts/make-real-models.sh (default: build/real-models)");
    app.add_option("--models", opt.models, "subset of models (default: all)")->delimiter(',');
    app.add_option("--runs", opt.runs, "timed runs per model (median reported)")->check(CLI::PositiveNumber);
    app.add_option("--warmup", opt.warmup, "untimed runs first");
    app.add_option("--threads", opt.threads, "kernel threads (default 1, 0 = all cores)")->check(CLI::NonNegativeNumber);
    app.add_option("--chunk", opt.chunk, "run the batch in chunks of this many images (memory)");
    app.add_flag("--no-cleanup", opt.noCleanup, "skip the import cleanup passes (BN folding, fusion)");
    app.add_flag("--profile", opt.profile, "print CPU time per op type");
    app.add_flag("--profile-nodes", opt.profileNodes, "print CPU time per node");
    app.add_option("--ort", opt.ortFile, "ORT timings file: lines '<model> <wall ms> <CPU ms> [<best wall ms>]'");
    app.add_option("--write-bin", opt.writeBin, "write each model's input as .bin/.json for the ORT runner, then exit");
    CLI11_PARSE(app, argc, argv);
    try {
        std::vector<BenchModel> selected;
        for (const BenchModel& m : kModels)
            if (opt.models.empty() || std::find(opt.models.begin(), opt.models.end(), m.name) != opt.models.end())
                if (available(m, opt))
                    selected.push_back(m);
        if (selected.empty()) {
            std::fprintf(stderr, "tessera-bench: no model of --models to run\n");
            return opt.models.empty() ? 1 : 0;
        }
        if (!opt.writeBin.empty()) {
            for (const BenchModel& m : selected)
                writeBin(m, opt);
            return 0;
        }
        setThreadCount(opt.threads);
        std::map<std::string, OrtTime> ort;
        if (!opt.ortFile.empty())
            ort = readOrtTimes(opt.ortFile);
        std::vector<Result> results;
        for (const BenchModel& m : selected) {
            results.push_back(benchModel(m, opt));
            const Result& r = results.back();
            std::printf("%-14s batch %5lld  wall median %9.1f ms  min %9.1f ms  CPU median %9.1f ms  activations %zu MB\n",
                        r.name.c_str(), static_cast<long long>(r.batch), r.medianMs, r.minMs, r.cpuMedianMs, r.plannedMb);
            std::fflush(stdout);
        }
        printTable(results, ort);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
