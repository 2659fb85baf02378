package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// This file holds the subset of the ONNX protobuf schema (onnx/onnx.proto,
// IR version 7) that the exporter writes and the backbone checker reads,
// with a hand-written protocol-buffer wire encoding: varints, 64-bit and
// 32-bit fixed fields and length-delimited fields, no reflection, no
// generated code. Field numbers are those of onnx.proto; the decoder skips
// every field it does not know, as protobuf requires.

// Element types (TensorProto.DataType).
const (
	Float   int32 = 1
	Uint8   int32 = 2
	Int8    int32 = 3
	Int32   int32 = 6
	Int64   int32 = 7
	Bool    int32 = 9
	Float16 int32 = 10
	Double  int32 = 11
)

// Attribute types (AttributeProto.AttributeType).
const (
	attrFloat   = 1
	attrInt     = 2
	attrString  = 3
	attrTensor  = 4
	attrGraph   = 5
	attrFloats  = 6
	attrInts    = 7
	attrStrings = 8
)

// ModelProto is the top-level ONNX file.
type ModelProto struct {
	IRVersion       int64
	Opsets          []OpsetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *GraphProto
	Metadata        []StringPair
}

// OpsetID names an operator set and its version ("" is the default ONNX
// domain).
type OpsetID struct {
	Domain  string
	Version int64
}

// StringPair is a metadata entry (StringStringEntryProto).
type StringPair struct{ Key, Value string }

// GraphProto is a computation graph: nodes in topological order, weights
// (initializers) and typed inputs and outputs.
type GraphProto struct {
	Name        string
	Nodes       []*NodeProto
	Initializer []*TensorProto
	DocString   string
	Inputs      []*ValueInfo
	Outputs     []*ValueInfo
}

// NodeProto is one operator application.
type NodeProto struct {
	Inputs, Outputs []string
	Name            string
	OpType          string
	Domain          string
	Attrs           []*Attribute
}

// Attribute is a node attribute; Type says which value field is set.
type Attribute struct {
	Name   string
	Type   int32
	F      float32
	I      int64
	S      string
	T      *TensorProto
	Floats []float32
	Ints   []int64
}

// TensorProto is a constant tensor. Float tensors are written as raw
// little-endian bytes (raw_data), which every runtime reads.
type TensorProto struct {
	Name     string
	Dims     []int64
	DataType int32
	Floats   []float32 // DataType Float
	Int64s   []int64   // DataType Int64
	raw      []byte    // raw_data as read, for types the decoder does not unpack
}

// ValueInfo is a named, typed graph input or output. A dimension is fixed
// (Dim > 0) or symbolic (Param, e.g. "batch").
type ValueInfo struct {
	Name     string
	ElemType int32
	Shape    []Dim
	HasShape bool
}

// Dim is one dimension of a ValueInfo's shape.
type Dim struct {
	Value int64
	Param string
}

func (d Dim) String() string {
	if d.Param != "" {
		return d.Param
	}
	if d.Value == 0 {
		return "?"
	}
	return fmt.Sprint(d.Value)
}

// ---- encoding ----

type enc struct{ b []byte }

func (e *enc) tag(field, wire int) { e.varint(uint64(field)<<3 | uint64(wire)) }
func (e *enc) varint(v uint64)     { e.b = binary.AppendUvarint(e.b, v) }

func (e *enc) int(field int, v int64) {
	if v != 0 {
		e.tag(field, 0)
		e.varint(uint64(v))
	}
}

func (e *enc) str(field int, s string) {
	if s != "" {
		e.bytes(field, []byte(s))
	}
}

func (e *enc) bytes(field int, b []byte) {
	e.tag(field, 2)
	e.varint(uint64(len(b)))
	e.b = append(e.b, b...)
}

func (e *enc) msg(field int, f func(*enc)) {
	var sub enc
	f(&sub)
	e.bytes(field, sub.b)
}

func (e *enc) float(field int, v float32) {
	e.tag(field, 5)
	e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(v))
}

func (e *enc) packedInts(field int, vs []int64) {
	if len(vs) == 0 {
		return
	}
	var sub enc
	for _, v := range vs {
		sub.varint(uint64(v))
	}
	e.bytes(field, sub.b)
}

func (e *enc) packedFloats(field int, vs []float32) {
	if len(vs) == 0 {
		return
	}
	b := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	e.bytes(field, b)
}

// Marshal returns the protobuf encoding of the model.
func (m *ModelProto) Marshal() []byte {
	var e enc
	e.int(1, m.IRVersion)
	e.str(2, m.ProducerName)
	e.str(3, m.ProducerVersion)
	e.str(4, m.Domain)
	e.int(5, m.ModelVersion)
	e.str(6, m.DocString)
	if m.Graph != nil {
		e.msg(7, m.Graph.encode)
	}
	for _, o := range m.Opsets {
		e.msg(8, func(e *enc) {
			e.str(1, o.Domain)
			e.int(2, o.Version)
		})
	}
	for _, p := range m.Metadata {
		e.msg(14, func(e *enc) {
			e.str(1, p.Key)
			e.str(2, p.Value)
		})
	}
	return e.b
}

func (g *GraphProto) encode(e *enc) {
	for _, n := range g.Nodes {
		e.msg(1, n.encode)
	}
	e.str(2, g.Name)
	for _, t := range g.Initializer {
		e.msg(5, t.encode)
	}
	e.str(10, g.DocString)
	for _, v := range g.Inputs {
		e.msg(11, v.encode)
	}
	for _, v := range g.Outputs {
		e.msg(12, v.encode)
	}
}

func (n *NodeProto) encode(e *enc) {
	for _, s := range n.Inputs {
		e.bytes(1, []byte(s)) // an empty name is a legal "absent input"
	}
	for _, s := range n.Outputs {
		e.bytes(2, []byte(s))
	}
	e.str(3, n.Name)
	e.str(4, n.OpType)
	for _, a := range n.Attrs {
		e.msg(5, a.encode)
	}
	e.str(7, n.Domain)
}

func (a *Attribute) encode(e *enc) {
	e.str(1, a.Name)
	switch a.Type {
	case attrFloat:
		e.float(2, a.F)
	case attrInt:
		e.tag(3, 0)
		e.varint(uint64(a.I))
	case attrString:
		e.bytes(4, []byte(a.S))
	case attrTensor:
		e.msg(5, a.T.encode)
	case attrFloats:
		e.packedFloats(7, a.Floats)
	case attrInts:
		e.packedInts(8, a.Ints)
	}
	e.int(20, int64(a.Type))
}

func (t *TensorProto) encode(e *enc) {
	e.packedInts(1, t.Dims)
	e.int(2, int64(t.DataType))
	e.str(8, t.Name)
	switch {
	case t.DataType == Float:
		raw := make([]byte, 0, 4*len(t.Floats))
		for _, v := range t.Floats {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
		e.bytes(9, raw)
	case t.DataType == Int64:
		raw := make([]byte, 0, 8*len(t.Int64s))
		for _, v := range t.Int64s {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
		e.bytes(9, raw)
	case t.raw != nil:
		e.bytes(9, t.raw)
	}
}

func (v *ValueInfo) encode(e *enc) {
	e.str(1, v.Name)
	e.msg(2, func(e *enc) { // TypeProto
		e.msg(1, func(e *enc) { // TypeProto.Tensor
			e.int(1, int64(v.ElemType))
			if v.HasShape {
				e.msg(2, func(e *enc) { // TensorShapeProto
					for _, d := range v.Shape {
						e.msg(1, func(e *enc) {
							if d.Param != "" {
								e.str(2, d.Param)
							} else {
								e.tag(1, 0)
								e.varint(uint64(d.Value))
							}
						})
					}
				})
			}
		})
	})
}

// ---- decoding ----

var errTruncated = errors.New("truncated protobuf message")

// field is one decoded wire field: a varint, a fixed 32/64-bit value, or
// length-delimited bytes.
type field struct {
	num  int
	wire int
	v    uint64
	b    []byte
}

// fields calls f on every field of a message in order.
func fields(b []byte, f func(field) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errTruncated
		}
		b = b[n:]
		fd := field{num: int(key >> 3), wire: int(key & 7)}
		switch fd.wire {
		case 0:
			fd.v, n = binary.Uvarint(b)
			if n <= 0 {
				return errTruncated
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return errTruncated
			}
			fd.v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 5:
			if len(b) < 4 {
				return errTruncated
			}
			fd.v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errTruncated
			}
			fd.b, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return fmt.Errorf("protobuf wire type %d (field %d) not supported", fd.wire, fd.num)
		}
		if err := f(fd); err != nil {
			return err
		}
	}
	return nil
}

// ints reads a repeated int64 field, packed or not.
func ints(fd field, dst []int64) ([]int64, error) {
	if fd.wire == 0 {
		return append(dst, int64(fd.v)), nil
	}
	if fd.wire != 2 {
		return dst, fmt.Errorf("field %d: wire type %d for integers", fd.num, fd.wire)
	}
	b := fd.b
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return dst, errTruncated
		}
		dst, b = append(dst, int64(v)), b[n:]
	}
	return dst, nil
}

func floats(fd field, dst []float32) ([]float32, error) {
	if fd.wire == 5 {
		return append(dst, math.Float32frombits(uint32(fd.v))), nil
	}
	if fd.wire != 2 || len(fd.b)%4 != 0 {
		return dst, fmt.Errorf("field %d: bad packed floats", fd.num)
	}
	for i := 0; i < len(fd.b); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(fd.b[i:])))
	}
	return dst, nil
}

// Unmarshal decodes an ONNX model file. Fields outside the subset this
// package models are skipped; tensors of types other than float32 and
// int64 keep their raw bytes only.
func Unmarshal(b []byte) (*ModelProto, error) {
	m := &ModelProto{}
	err := fields(b, func(fd field) error {
		switch fd.num {
		case 1:
			m.IRVersion = int64(fd.v)
		case 2:
			m.ProducerName = string(fd.b)
		case 3:
			m.ProducerVersion = string(fd.b)
		case 4:
			m.Domain = string(fd.b)
		case 5:
			m.ModelVersion = int64(fd.v)
		case 6:
			m.DocString = string(fd.b)
		case 7:
			g, err := decodeGraph(fd.b)
			m.Graph = g
			return err
		case 8:
			var o OpsetID
			err := fields(fd.b, func(f field) error {
				switch f.num {
				case 1:
					o.Domain = string(f.b)
				case 2:
					o.Version = int64(f.v)
				}
				return nil
			})
			m.Opsets = append(m.Opsets, o)
			return err
		case 14:
			var p StringPair
			err := fields(fd.b, func(f field) error {
				switch f.num {
				case 1:
					p.Key = string(f.b)
				case 2:
					p.Value = string(f.b)
				}
				return nil
			})
			m.Metadata = append(m.Metadata, p)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not a readable ONNX model: %w", err)
	}
	if m.Graph == nil {
		return nil, errors.New("not an ONNX model: no graph")
	}
	return m, nil
}

func decodeGraph(b []byte) (*GraphProto, error) {
	g := &GraphProto{}
	err := fields(b, func(fd field) error {
		switch fd.num {
		case 1:
			n, err := decodeNode(fd.b)
			g.Nodes = append(g.Nodes, n)
			return err
		case 2:
			g.Name = string(fd.b)
		case 5:
			t, err := decodeTensor(fd.b)
			g.Initializer = append(g.Initializer, t)
			return err
		case 10:
			g.DocString = string(fd.b)
		case 11, 12:
			v, err := decodeValueInfo(fd.b)
			if fd.num == 11 {
				g.Inputs = append(g.Inputs, v)
			} else {
				g.Outputs = append(g.Outputs, v)
			}
			return err
		}
		return nil
	})
	return g, err
}

func decodeNode(b []byte) (*NodeProto, error) {
	n := &NodeProto{}
	err := fields(b, func(fd field) error {
		switch fd.num {
		case 1:
			n.Inputs = append(n.Inputs, string(fd.b))
		case 2:
			n.Outputs = append(n.Outputs, string(fd.b))
		case 3:
			n.Name = string(fd.b)
		case 4:
			n.OpType = string(fd.b)
		case 7:
			n.Domain = string(fd.b)
		case 5:
			a, err := decodeAttr(fd.b)
			n.Attrs = append(n.Attrs, a)
			return err
		}
		return nil
	})
	return n, err
}

func decodeAttr(b []byte) (*Attribute, error) {
	a := &Attribute{}
	err := fields(b, func(fd field) error {
		var err error
		switch fd.num {
		case 1:
			a.Name = string(fd.b)
		case 2:
			a.F = math.Float32frombits(uint32(fd.v))
		case 3:
			a.I = int64(fd.v)
		case 4:
			a.S = string(fd.b)
		case 5:
			a.T, err = decodeTensor(fd.b)
		case 7:
			a.Floats, err = floats(fd, a.Floats)
		case 8:
			a.Ints, err = ints(fd, a.Ints)
		case 20:
			a.Type = int32(fd.v)
		}
		return err
	})
	return a, err
}

func decodeTensor(b []byte) (*TensorProto, error) {
	t := &TensorProto{}
	var fl []float32
	var in []int64
	err := fields(b, func(fd field) error {
		var err error
		switch fd.num {
		case 1:
			t.Dims, err = ints(fd, t.Dims)
		case 2:
			t.DataType = int32(fd.v)
		case 4:
			fl, err = floats(fd, fl)
		case 7:
			in, err = ints(fd, in)
		case 8:
			t.Name = string(fd.b)
		case 9:
			t.raw = fd.b
		}
		return err
	})
	if err != nil {
		return t, err
	}
	switch t.DataType {
	case Float:
		t.Floats = fl
		if t.raw != nil {
			if len(t.raw)%4 != 0 {
				return t, fmt.Errorf("tensor %q: %d raw bytes is not a whole number of float32", t.Name, len(t.raw))
			}
			t.Floats = make([]float32, len(t.raw)/4)
			for i := range t.Floats {
				t.Floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.raw[4*i:]))
			}
		}
	case Int64:
		t.Int64s = in
		if t.raw != nil {
			if len(t.raw)%8 != 0 {
				return t, fmt.Errorf("tensor %q: %d raw bytes is not a whole number of int64", t.Name, len(t.raw))
			}
			t.Int64s = make([]int64, len(t.raw)/8)
			for i := range t.Int64s {
				t.Int64s[i] = int64(binary.LittleEndian.Uint64(t.raw[8*i:]))
			}
		}
	}
	return t, nil
}

func decodeValueInfo(b []byte) (*ValueInfo, error) {
	v := &ValueInfo{}
	err := fields(b, func(fd field) error {
		switch fd.num {
		case 1:
			v.Name = string(fd.b)
		case 2: // TypeProto
			return fields(fd.b, func(f field) error {
				if f.num != 1 { // only tensor types
					return nil
				}
				return fields(f.b, func(f field) error {
					switch f.num {
					case 1:
						v.ElemType = int32(f.v)
					case 2:
						v.HasShape = true
						return fields(f.b, func(f field) error {
							if f.num != 1 {
								return nil
							}
							var d Dim
							err := fields(f.b, func(f field) error {
								switch f.num {
								case 1:
									d.Value = int64(f.v)
								case 2:
									d.Param = string(f.b)
								}
								return nil
							})
							v.Shape = append(v.Shape, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return v, err
}
