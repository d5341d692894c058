// Splitting analog layers into blocks and packing the blocks into arrays.
#include "compiler/Stages.h"

#include <algorithm>
#include <limits>

namespace tessera::compiler {

namespace {

struct Rect {
    int64_t r = 0, c = 0, h = 0, w = 0;
    bool contains(const Rect& o) const { return o.r >= r && o.c >= c && o.r + o.h <= r + h && o.c + o.w <= c + w; }
    bool intersects(const Rect& o) const { return o.r < r + h && r < o.r + o.h && o.c < c + w && c < o.c + o.w; }
};

// MaxRects free-space bookkeeping of one array (Jylanki, "A Thousand Ways to Pack the Bin").
class MaxRectsBin {
public:
    MaxRectsBin(int64_t rows, int64_t cols) { m_free.push_back({0, 0, rows, cols}); }

    // Best short side fit: the smallest leftover side, then the smallest long side.
    bool find(int64_t h, int64_t w, Rect& out, int64_t& shortSide, int64_t& longSide) const
    {
        bool found = false;
        for (const Rect& f : m_free) {
            if (f.h < h || f.w < w)
                continue;
            const int64_t a = f.h - h, b = f.w - w;
            const int64_t s = std::min(a, b), l = std::max(a, b);
            if (!found || s < shortSide || (s == shortSide && l < longSide)) {
                found = true;
                shortSide = s;
                longSide = l;
                out = {f.r, f.c, h, w};
            }
        }
        return found;
    }

    void place(const Rect& used)
    {
        std::vector<Rect> next;
        for (const Rect& f : m_free) {
            if (!f.intersects(used)) {
                next.push_back(f);
                continue;
            }
            if (used.r > f.r)
                next.push_back({f.r, f.c, used.r - f.r, f.w});
            if (used.r + used.h < f.r + f.h)
                next.push_back({used.r + used.h, f.c, f.r + f.h - used.r - used.h, f.w});
            if (used.c > f.c)
                next.push_back({f.r, f.c, f.h, used.c - f.c});
            if (used.c + used.w < f.c + f.w)
                next.push_back({f.r, used.c + used.w, f.h, f.c + f.w - used.c - used.w});
        }
        m_free.clear();
        for (size_t i = 0; i < next.size(); ++i) {
            bool redundant = false;
            for (size_t j = 0; j < next.size() && !redundant; ++j)
                redundant = j != i && next[j].contains(next[i]) && (!next[i].contains(next[j]) || j < i);
            if (!redundant)
                m_free.push_back(next[i]);
        }
    }

    const std::vector<Rect>& freeRects() const { return m_free; }

private:
    std::vector<Rect> m_free;
};

void addBlock(CompileResult& result, std::vector<int>& ids, BlockPlan block)
{
    ids.push_back(static_cast<int>(result.blocks.size()));
    result.blocks.push_back(block);
}

int openArray(CompileResult& result)
{
    result.arrays.emplace_back();
    return static_cast<int>(result.arrays.size()) - 1;
}

void putBlock(CompileResult& result, int blockId, int array, int64_t row0, int64_t col0)
{
    BlockPlan& b = result.blocks[blockId];
    b.array = array;
    b.row0 = row0;
    b.col0 = col0;
    result.arrays[array].blocks.push_back(blockId);
    result.arrays[array].usedCells += b.rows * b.cols;
}

std::vector<int> largestFirst(const CompileResult& result, std::vector<int> blocks)
{
    std::stable_sort(blocks.begin(), blocks.end(), [&](int a, int b) {
        const BlockPlan& x = result.blocks[a];
        const BlockPlan& y = result.blocks[b];
        if (x.rows != y.rows)
            return x.rows > y.rows;
        return x.cols > y.cols;
    });
    return blocks;
}

} // namespace

std::vector<int> splitLayer(CompileResult& result, int layer, int replica)
{
    const LayerPlan& plan = result.layers[layer];
    const Target& t = result.target;
    const int64_t cpw = cellsPerWeight(t, plan.weightBits);
    const int64_t groupCols = plan.cols / plan.groups;
    const int64_t arrayRows = t.analog.array.rows, arrayCols = t.analog.array.cols;
    std::vector<int> ids;
    if (plan.groupsPerBlock > 1 || (plan.groups > 1 && plan.rows <= arrayRows && groupCols * cpw <= arrayCols)) {
        const int64_t chunk = std::max<int64_t>(1, std::min({plan.groups, arrayRows / plan.rows, arrayCols / (groupCols * cpw)}));
        result.layers[layer].groupsPerBlock = chunk;
        for (int64_t g = 0; g < plan.groups; g += chunk) {
            BlockPlan b;
            b.layer = layer;
            b.replica = replica;
            b.group0 = g;
            b.groupCount = std::min(chunk, plan.groups - g);
            b.rows = b.groupCount * plan.rows;
            b.cols = b.groupCount * groupCols * cpw;
            b.weightCells = b.groupCount * plan.rows * groupCols * cpw;
            addBlock(result, ids, b);
        }
        return ids;
    }
    const int64_t colsPerBlock = std::max<int64_t>(1, arrayCols / cpw);
    for (int64_t g = 0; g < plan.groups; ++g)
        for (int64_t rb = 0; rb * arrayRows < plan.rows; ++rb)
            for (int64_t cb = 0; cb * colsPerBlock < groupCols; ++cb) {
                BlockPlan b;
                b.layer = layer;
                b.replica = replica;
                b.group0 = g;
                b.rowBlock = rb;
                b.colBlock = cb;
                b.rowBegin = rb * arrayRows;
                b.colBegin = cb * colsPerBlock;
                b.rows = std::min(arrayRows, plan.rows - rb * arrayRows);
                b.cols = std::min(colsPerBlock, groupCols - cb * colsPerBlock) * cpw;
                b.weightCells = b.rows * b.cols;
                addBlock(result, ids, b);
            }
    return ids;
}

namespace {

struct BinChoice {
    int bin = -1;
    Rect rect;
};

BinChoice bestFit(const std::vector<MaxRectsBin>& bins, int64_t rows, int64_t cols)
{
    BinChoice best;
    int64_t bestShort = std::numeric_limits<int64_t>::max(), bestLong = bestShort;
    for (size_t i = 0; i < bins.size(); ++i) {
        Rect r;
        int64_t s = 0, l = 0;
        if (bins[i].find(rows, cols, r, s, l) && (s < bestShort || (s == bestShort && l < bestLong))) {
            best = {static_cast<int>(i), r};
            bestShort = s;
            bestLong = l;
        }
    }
    return best;
}

// The widest free rectangle of at least `minCols` columns (whole weights) that holds the
// block's rows but not all its columns: the block's first columns go there. Columns
// are independent outputs, so a column split changes nothing numerically.
BinChoice widestForSplit(const std::vector<MaxRectsBin>& bins, int64_t rows, int64_t cols, int64_t minCols, int64_t cpw)
{
    BinChoice best;
    for (size_t i = 0; i < bins.size(); ++i)
        for (const Rect& f : bins[i].freeRects()) {
            const int64_t w = f.w / cpw * cpw;
            if (f.h >= rows && w >= minCols && w < cols && (best.bin < 0 || w > best.rect.w))
                best = {static_cast<int>(i), {f.r, f.c, rows, w}};
        }
    return best;
}

} // namespace

void packBlocks(CompileResult& result, const std::vector<int>& blocks)
{
    const Target& t = result.target;
    std::vector<MaxRectsBin> bins;
    std::vector<int> binArray;
    const int64_t minCols = std::max<int64_t>(1, t.analog.array.cols / 8);
    for (int id : largestFirst(result, blocks)) {
        for (;;) {
            const BlockPlan b = result.blocks[id];
            BinChoice c = bestFit(bins, b.rows, b.cols);
            if (c.bin < 0 && b.groupCount == 1) {
                const int64_t cpw = cellsPerWeight(t, result.layers[b.layer].weightBits);
                const BinChoice split = widestForSplit(bins, b.rows, b.cols, minCols, cpw);
                if (split.bin >= 0) {
                    BlockPlan head = b;
                    head.cols = split.rect.w;
                    head.weightCells = head.rows * head.cols;
                    result.blocks[id].colBegin += split.rect.w / cpw;
                    result.blocks[id].cols -= split.rect.w;
                    result.blocks[id].weightCells = result.blocks[id].rows * result.blocks[id].cols;
                    result.blocks.push_back(head);
                    bins[split.bin].place(split.rect);
                    putBlock(result, static_cast<int>(result.blocks.size()) - 1, binArray[split.bin], split.rect.r, split.rect.c);
                    continue;
                }
            }
            if (c.bin < 0) {
                bins.emplace_back(t.analog.array.rows, t.analog.array.cols);
                binArray.push_back(openArray(result));
                c = bestFit(bins, b.rows, b.cols);
            }
            bins[c.bin].place(c.rect);
            putBlock(result, id, binArray[c.bin], c.rect.r, c.rect.c);
            break;
        }
    }
}

bool packDiagonal(CompileResult& result, const std::vector<int>& blocks, int64_t arrayLimit)
{
    const Target& t = result.target;
    struct Spot {
        int array;
        int64_t row0, col0;
    };
    std::vector<Spot> spots;
    std::vector<int> opened;
    int64_t r = t.analog.array.rows, c = t.analog.array.cols; // cursor: full, open on first use
    for (int id : largestFirst(result, blocks)) {
        const BlockPlan& b = result.blocks[id];
        if (r + b.rows > t.analog.array.rows || c + b.cols > t.analog.array.cols) {
            opened.push_back(static_cast<int>(result.arrays.size() + opened.size()));
            r = c = 0;
        }
        spots.push_back({opened.back(), r, c});
        r += b.rows;
        c += b.cols;
    }
    if (static_cast<int64_t>(result.arrays.size() + opened.size()) > arrayLimit)
        return false;
    for (size_t i = 0; i < opened.size(); ++i)
        openArray(result);
    const std::vector<int> order = largestFirst(result, blocks);
    for (size_t i = 0; i < order.size(); ++i)
        putBlock(result, order[i], spots[i].array, spots[i].row0, spots[i].col0);
    return true;
}

} // namespace tessera::compiler
