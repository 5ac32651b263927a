package testkit

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Field paths of the SDK's types, for tests that change one field at a time: the inventory's
// fingerprint and the index builder must agree on which fields matter.

// LeafPaths lists the settable fields below t: structs and lists of structs are descended
// into, anything else (a time included) is a leaf.
func LeafPaths(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() {
		return []string{strings.TrimSuffix(prefix, ".")}
	}
	var paths []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			paths = append(paths, LeafPaths(f.Type, prefix+f.Name+".")...)
		}
	}
	return paths
}

// SetPath sets the field at path below v to a value that depends on n, allocating the
// pointers and one-element lists on the way; of a list, it sets the first element.
func SetPath(v reflect.Value, path []string, n int) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
		} else if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		} else {
			v = v.Index(0)
		}
	}
	if len(path) > 0 && path[0] != "" {
		SetPath(v.FieldByName(path[0]), path[1:], n)
		return
	}
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Unix(int64(n), 0)))
	case v.Kind() == reflect.String:
		v.SetString(fmt.Sprint("value-", n))
	case v.Kind() == reflect.Bool:
		v.SetBool(n == 1)
	case v.CanInt():
		v.SetInt(int64(n))
	case v.CanFloat():
		v.SetFloat(float64(n))
	default:
		panic(fmt.Sprintf("cannot set a %s", v.Type()))
	}
}
