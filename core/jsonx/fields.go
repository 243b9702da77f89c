package jsonx

// Field is one member a [Decoder.Fields] reads: its exact name, and where its value goes.
// Into is a *string, *int64, *int, *bool or *[]string (read as the Decoder's reader of
// that type reads it); a **string or **bool (null makes it nil, a value is read into a
// new one, as encoding/json reads into a pointer); a [StringInt64] or [StringUint64] (a
// number written as a string, ",string"); or a func(*Decoder) error that reads the value
// itself.
type Field struct {
	Name string
	Into any
}

// Fields reads an object whose members are the fields (others are skipped; of a repeated
// name each is read in turn, so the last counts), as [Decoder.Object] with one reader per
// member would: one table per type instead of one closure with a switch, which is smaller
// in the module.
//
//go:noinline
func (d *Decoder) Fields(fields ...Field) error {
	return d.Object(func(name string) error {
		for i := range fields {
			if fields[i].Name == name {
				return d.into(fields[i].Into)
			}
		}
		d.Skip()
		return nil
	})
}

func (d *Decoder) into(p any) error {
	switch p := p.(type) {
	case *string:
		return d.String(p)
	case *int64:
		return d.Int64(p)
	case *int:
		return d.Int(p)
	case *bool:
		return d.Bool(p)
	case *[]string:
		return d.Strings(p)
	case **string:
		if d.Null() {
			*p = nil
			return nil
		}
		if *p == nil {
			*p = new(string)
		}
		return d.String(*p)
	case **bool:
		if d.Null() {
			*p = nil
			return nil
		}
		if *p == nil {
			*p = new(bool)
		}
		return d.Bool(*p)
	case StringInt64:
		return d.Int64String(p)
	case StringUint64:
		return d.Uint64String(p)
	case func(*Decoder) error:
		return p(d)
	}
	panic("jsonx: Field.Into of an unsupported type")
}

// StringInt64 and StringUint64 are a Field's target for a number written as a string.
type (
	StringInt64  *int64
	StringUint64 *uint64
)

// Out is one member a [Writer.Fields] writes: its name, where its value is, and whether
// it is left out when empty (encoding/json's omitempty: "", 0, false, nil, no elements).
// From is a *string, *int64, *int, *bool, *[]string, *[]byte (standard base64, nil as
// null), **bool (nil as null), a [StringInt64] (written as a string, ",string"), or a
// func(*Writer) that writes the value itself (never left out).
type Out struct {
	Name      string
	From      any
	OmitEmpty bool
}

// Fields writes an object of the fields, in order: one table per type instead of a call
// per member, which is smaller in the module.
//
//go:noinline
func (w *Writer) Fields(fields ...Out) {
	w.ObjectStart()
	for i := range fields {
		f := &fields[i]
		if f.OmitEmpty && isEmpty(f.From) {
			continue
		}
		w.Key(f.Name)
		switch p := f.From.(type) {
		case *string:
			w.String(*p)
		case *int64:
			w.Int(*p)
		case *int:
			w.Int(int64(*p))
		case *bool:
			w.Bool(*p)
		case *[]string:
			w.Strings(*p)
		case *[]byte:
			w.Bytes64(*p)
		case **bool:
			if *p == nil {
				w.Null()
			} else {
				w.Bool(**p)
			}
		case StringInt64:
			w.IntString(*p)
		case func(*Writer):
			p(w)
		default:
			panic("jsonx: Out.From of an unsupported type")
		}
	}
	w.ObjectEnd()
}

func isEmpty(p any) bool {
	switch p := p.(type) {
	case *string:
		return *p == ""
	case *int64:
		return *p == 0
	case *int:
		return *p == 0
	case *bool:
		return !*p
	case *[]string:
		return len(*p) == 0
	case *[]byte:
		return len(*p) == 0
	case **bool:
		return *p == nil
	case StringInt64:
		return *p == 0
	}
	return false
}
