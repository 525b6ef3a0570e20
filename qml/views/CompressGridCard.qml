import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// The grid of target types: a row per layer (after the global row: token embedding
// and output), a column per matrix kind. A click moves a cell to the next type and a
// drag paints that type over the cells it crosses; a right click picks one; a column
// header sets the whole column. A cell whose type the rows cannot take shows its
// fallback, marked with a dot.
Card {
    id: root
    required property CompressGridModel grid
    property string scanType
    title: qsTr("Quantization")
    subtitle: qsTr("click: next · drag: paint · right-click: pick · header: column")
    icon: "compress"

    readonly property int labelWidth: 64
    readonly property int cellHeight: 24
    property int menuRow: -1
    property int menuColumn: -1

    Menu {
        id: typeMenu
        Repeater {
            model: root.grid.typeNames
            MenuItem {
                required property string modelData
                text: modelData
                onTriggered: {
                    if (root.menuRow < 0) root.grid.setColumnType(root.menuColumn, modelData)
                    else root.grid.setType(root.menuRow, root.menuColumn, modelData)
                }
            }
        }
    }

    ColumnLayout {
        width: parent.width
        spacing: 2

        Row {  // column headers
            Layout.fillWidth: true
            Item { width: root.labelWidth; height: 1 }
            Repeater {
                model: root.grid.columnLabels
                Rectangle {
                    required property string modelData
                    required property int index
                    width: (root.width - 2 * root.padding - root.labelWidth) / 7
                    height: 22
                    color: headerArea.containsMouse ? Theme.surfaceHover : "transparent"
                    radius: 4
                    Text {
                        objectName: "columnHeader"
                        anchors { fill: parent; leftMargin: 2; rightMargin: 2 }
                        horizontalAlignment: Text.AlignHCenter
                        verticalAlignment: Text.AlignVCenter
                        // "attn_output" and "ffn_gate" collide at this width: the
                        // group's prefix goes (the tooltip names the kind in full).
                        text: parent.modelData.replace(/^attn_/, "").replace(/^ffn_/, "ffn ").replace("output", "out")
                        elide: Text.ElideRight
                        color: Theme.textDim
                        font.family: Theme.mono
                        font.pixelSize: Theme.fontXs
                    }
                    MouseArea {
                        id: headerArea
                        anchors.fill: parent
                        hoverEnabled: true
                        ToolTip.visible: containsMouse
                        ToolTip.delay: 300
                        ToolTip.text: qsTr("%1: click to set the whole column").arg(parent.modelData)
                        onClicked: {
                            root.menuRow = -1
                            root.menuColumn = parent.index
                            typeMenu.popup()
                        }
                    }
                }
            }
        }

        Row {
            Layout.fillWidth: true
            Column {  // row labels
                Repeater {
                    model: root.grid.rowLabels
                    Text {
                        required property string modelData
                        width: root.labelWidth
                        height: root.cellHeight
                        verticalAlignment: Text.AlignVCenter
                        text: modelData === "global" ? qsTr("global") : qsTr("layer %1").arg(modelData)
                        color: Theme.textDim
                        font.pixelSize: Theme.fontXs
                    }
                }
            }
            Item {
              width: root.width - 2 * root.padding - root.labelWidth
              height: grid.height
            TableView {
                id: grid
                objectName: "compressGrid"
                width: parent.width
                height: rows * root.cellHeight
                interactive: false
                model: root.grid
                columnWidthProvider: function () { return width / 7 }
                rowHeightProvider: function () { return root.cellHeight }
                delegate: Item {
                    required property int row
                    required property int column
                    required property string targetType
                    required property string tensorName
                    required property string sourceType
                    required property string wantedType
                    required property bool fallback
                    required property bool present
                    required property double bytesAfter
                    required property double sensitivity
                    required property double heat
                    readonly property bool hovered: paintArea.hoverRow === row && paintArea.hoverColumn === column
                    implicitWidth: 60
                    implicitHeight: root.cellHeight
                    Rectangle {
                        anchors.fill: parent
                        anchors.margins: 1
                        visible: parent.present
                        radius: 4
                        readonly property color tint: Theme.typeColor(parent.targetType)
                        color: parent.hovered ? Qt.rgba(tint.r, tint.g, tint.b, 0.32) : Qt.rgba(tint.r, tint.g, tint.b, 0.16)
                        border.color: Qt.rgba(tint.r, tint.g, tint.b, 0.45)
                        Text {
                            z: 1
                            anchors.centerIn: parent
                            // The global row's cells are the token embedding and the output matrix.
                            text: (parent.parent.row === 0 ? (parent.parent.column === 0 ? "embd " : "out ") : "") + parent.parent.targetType
                            color: parent.tint
                            font.family: Theme.mono
                            font.pixelSize: Theme.fontXs
                        }
                        Rectangle {  // the sensitivity heat: how far this group alone moves the model
                            objectName: "heat"
                            visible: parent.parent.heat >= 0
                            anchors.fill: parent
                            radius: 4
                            color: Qt.rgba(0.94, 0.39, 0.43, 0.55 * Math.max(0, parent.parent.heat))
                            border.color: parent.parent.heat > 0.66 ? Theme.danger : "transparent"
                        }
                        Rectangle {  // asked for another type, the rows cannot take it
                            visible: parent.parent.fallback
                            width: 5; height: 5; radius: 2.5
                            anchors { right: parent.right; top: parent.top; margins: 3 }
                            color: Theme.textDim
                        }
                        // The tooltip of the cell under the pointer (the grid's MouseArea
                        // below takes the clicks and drags).
                        ToolTip.visible: parent.hovered
                        ToolTip.delay: 400
                        ToolTip.text: {
                            const c = parent
                            let t = c.tensorName + ": " + c.sourceType + " → " + c.targetType + " (" + Fmt.bytes(c.bytesAfter) + ")"
                            if (c.sensitivity >= 0) t += "\n" + qsTr("sensitivity: KL %1 nats with its group in %2").arg(c.sensitivity.toPrecision(3)).arg(root.scanType)
                            if (c.fallback) t += "\n" + qsTr("%1 asked for; rows of this length take %2").arg(c.wantedType).arg(c.targetType)
                            return t
                        }
                    }
                }
            }
            // Clicks and drags over the cells: a press moves the cell under it to the
            // next type, and a drag paints that type over every cell it crosses.
            MouseArea {
                id: paintArea
                objectName: "compressGridPaint"
                anchors.fill: grid
                hoverEnabled: true
                acceptedButtons: Qt.LeftButton | Qt.RightButton
                preventStealing: true
                property int hoverRow: -1
                property int hoverColumn: -1
                property string paintType: ""
                function rowAt(y) { return Math.floor(y / root.cellHeight) }
                function columnAt(x) { return Math.floor(x / (width / 7)) }
                function track(mouse) {
                    const r = rowAt(mouse.y), c = columnAt(mouse.x)
                    const inside = mouse.x >= 0 && mouse.y >= 0 && mouse.x < width && mouse.y < height
                    hoverRow = inside ? r : -1
                    hoverColumn = inside ? c : -1
                }
                onPositionChanged: (mouse) => {
                    const r = hoverRow, c = hoverColumn
                    track(mouse)
                    if (pressed && paintType !== "" && hoverRow >= 0 && (hoverRow !== r || hoverColumn !== c)
                            && root.grid.wantedType(hoverRow, hoverColumn) !== paintType)
                        root.grid.setType(hoverRow, hoverColumn, paintType)
                }
                onExited: { hoverRow = -1; hoverColumn = -1 }
                onPressed: (mouse) => {
                    track(mouse)
                    paintType = ""
                    if (hoverRow < 0) return
                    if (mouse.button === Qt.RightButton) {
                        root.menuRow = hoverRow
                        root.menuColumn = hoverColumn
                        typeMenu.popup()
                    } else if (root.grid.cycleType(hoverRow, hoverColumn)) {
                        paintType = root.grid.wantedType(hoverRow, hoverColumn)
                    }
                }
                onReleased: paintType = ""
            }
            }
        }
    }
}
