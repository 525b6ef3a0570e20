import QtQuick
import QtTest
import Pareto
import Pareto.Theme

// The reusable components, each on its own.
Item {
    id: root
    width: 900
    height: 700

    Component { id: memoryBar; MemoryBar { width: 404 } }
    Component { id: banner; Banner { width: 400 } }
    Component { id: labeledSlider; LabeledSlider { width: 300 } }
    Component { id: statTile; StatTile {} }
    Component { id: typeChip; TypeChip {} }
    Component { id: emptyState; EmptyState { width: 600; height: 400 } }
    Component { id: sparkline; Sparkline { width: 100; height: 30 } }
    Component { id: navItem; NavItem { width: 200 } }
    Component { id: toastHost; ToastHost {} }
    Component { id: reasoningBlock; ReasoningBlock { width: 500 } }

    TestCase {
        name: "Components"
        when: windowShown

        function findAll(item, name, out) {
            out = out || []
            if (item.objectName === name) out.push(item)
            for (let i = 0; i < item.children.length; ++i) findAll(item.children[i], name, out)
            return out
        }

        // Open while the reasoning streams, closed once the answer starts, open again
        // when the reply ended with no answer; a click decides for good.
        function test_reasoningBlockFollowsTheStreamUntilClicked() {
            const block = createTemporaryObject(reasoningBlock, root, { text: "Let me think", active: true })
            waitForRendering(block)
            const body = findAll(block, "reasoningText")[0]
            verify(block.expanded)
            verify(body.visible)
            const openHeight = block.height
            block.active = false                    // the answer started
            verify(!block.expanded)
            verify(!body.visible)
            tryVerify(() => block.height < openHeight)
            block.alone = true                      // ...or never came
            verify(block.expanded)
            block.alone = false
            const header = findAll(block, "reasoningHeader")[0]
            mouseClick(header)
            verify(block.expanded)
            block.active = true                     // the user's choice wins over the stream
            mouseClick(header)
            verify(!block.expanded)
            block.active = false
            verify(!block.expanded)
        }

        function test_memoryBarSegmentsAreProportional() {
            const bar = createTemporaryObject(memoryBar, root, {
                segments: [{ label: "weights", bytes: 3000, color: "red" },
                           { label: "kv", bytes: 1000, color: "blue" },
                           { label: "scratch", bytes: 0, color: "green" }]
            })
            waitForRendering(bar)
            compare(bar.total, 4000)
            const segs = findAll(bar, "memorySegment")
            compare(segs.length, 3)
            fuzzyCompare(segs[0].width / segs[1].width, 3, 0.01)
            fuzzyCompare(segs[0].width + segs[1].width, 400, 1)  // the bar is full
            compare(segs[2].width, 0)
        }

        function test_memoryBarScalesToCapacityBeyondTheTotal() {
            const bar = createTemporaryObject(memoryBar, root, {
                capacity: 8000, segments: [{ label: "weights", bytes: 2000, color: "red" }]
            })
            waitForRendering(bar)
            // Capacity is at most 4 x the total on the scale: the segment fills a quarter.
            fuzzyCompare(findAll(bar, "memorySegment")[0].width, 100, 1)
        }

        function test_bannerShowsOnlyWithTextAndCloses() {
            const b = createTemporaryObject(banner, root, { text: "" })
            verify(!b.visible)
            compare(b.implicitHeight, 0)
            b.text = "model.gguf: not a GGUF file"
            verify(b.visible)
            compare(findAll(b, "bannerText")[0].text, "model.gguf: not a GGUF file")
            const closed = createTemporaryObject(spyComponent, root, { target: b, signalName: "closed" })
            waitForRendering(b)
            mouseClick(b, b.width - 20, b.height / 2)
            compare(closed.count, 1)
        }

        function test_labeledSliderShowsOffAndValues() {
            const s = createTemporaryObject(labeledSlider, root, {
                label: "Top-k", from: 0, to: 100, stepSize: 1, decimals: 0, value: 0, offValue: 0, offText: "off"
            })
            compare(findAll(s, "sliderValue")[0].text, "off")
            s.value = 40
            compare(findAll(s, "sliderValue")[0].text, "40")
        }

        function test_labeledSliderReportsMoves() {
            const s = createTemporaryObject(labeledSlider, root, { label: "Temperature", from: 0, to: 2, value: 0.8 })
            const moved = createTemporaryObject(spyComponent, root, { target: s, signalName: "moved" })
            waitForRendering(s)
            mouseClick(s, s.width * 0.95, s.height - 8)
            verify(moved.count >= 1)
            verify(moved.signalArguments[0][0] > 1.5)
        }

        function test_typeColoursFollowBitWidth() {
            verify(Theme.typeColor("Q4_K") !== Theme.typeColor("F32"))
            verify(Theme.typeColor("Q8_0") !== Theme.typeColor("Q4_0"))
            compare(Theme.typeColor("q4_k"), Theme.typeColor("Q4_K"))
            const chip = createTemporaryObject(typeChip, root, { type: "Q6_K" })
            compare(chip.tint, Theme.typeColor("Q6_K"))
        }

        function test_statTileShowsItsValue() {
            const t = createTemporaryObject(statTile, root, { label: "Decode", value: "123", unit: "tok/s" })
            compare(findAll(t, "statValue")[0].text, "123")
        }

        function test_emptyStateOffersItsAction() {
            const e = createTemporaryObject(emptyState, root, { title: "No model", text: "Open one", actionText: "Go" })
            const action = createTemporaryObject(spyComponent, root, { target: e, signalName: "action" })
            waitForRendering(e)
            const go = findAll(e, "emptyAction")[0]
            compare(go.text, "Go")
            mouseClick(go)
            compare(action.count, 1)
            compare(findAll(e, "emptyTitle")[0].text, "No model")
        }

        function test_sparklineFitsItsValues() {
            const s = createTemporaryObject(sparkline, root, { values: [1, 2, 4] })
            compare(s.points.length, 3)
            compare(s.points[0].x, 0)
            compare(s.points[2].x, 100)
            verify(s.points[2].y < s.points[0].y)  // larger values are higher
            verify(s.points[2].y >= 2)              // and inside the item
        }

        function test_navItemClicks() {
            const n = createTemporaryObject(navItem, root, { title: "Model", subtitle: "Open", icon: "model" })
            const clicked = createTemporaryObject(spyComponent, root, { target: n, signalName: "clicked" })
            waitForRendering(n)
            mouseClick(n)
            compare(clicked.count, 1)
        }

        function test_toastsStackAndAreBounded() {
            const t = createTemporaryObject(toastHost, root)
            for (let i = 0; i < 6; ++i) t.show("message " + i, i % 2 === 0)
            compare(findAll(t, "toast").length, 4)
        }
    }

    Component { id: spyComponent; SignalSpy {} }
}
