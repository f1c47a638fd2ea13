package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"
)

// loadConfigFile reads a component's YAML file strictly (an unknown key is
// an error naming its line) and returns it with the keys it sets.
func loadConfigFile[T any](path string) (T, map[string]bool, error) {
	var f T
	b, err := os.ReadFile(path)
	if err != nil {
		return f, nil, fmt.Errorf("--config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return f, nil, fmt.Errorf("--config %s: %w", path, err)
	}
	keys := map[string]any{}
	if err := yaml.Unmarshal(b, &keys); err != nil {
		return f, nil, fmt.Errorf("--config %s: %w", path, err)
	}
	set := map[string]bool{}
	for k := range keys {
		set[k] = true
	}
	return f, set, nil
}

// mergeConfig returns the file's values, overridden by the flags given on
// the command line; keys neither sets keep the flags' defaults. A YAML key
// k matches the flag k with "_" as "-".
func mergeConfig[T any](fl *pflag.FlagSet, file T, inFile map[string]bool, flags T) T {
	out := file
	dst, src := reflect.ValueOf(&out).Elem(), reflect.ValueOf(flags)
	for i := range dst.NumField() {
		key, _, _ := strings.Cut(dst.Type().Field(i).Tag.Get("yaml"), ",")
		if fl.Changed(strings.ReplaceAll(key, "_", "-")) || !inFile[key] {
			dst.Field(i).Set(src.Field(i))
		}
	}
	return out
}

// configFromFlags returns the command's settings: the flags alone, or the
// --config file with the flags given on the command line over it.
func configFromFlags[T any](fl *pflag.FlagSet, cfgPath string, flags T) (T, error) {
	if cfgPath == "" {
		return flags, nil
	}
	file, set, err := loadConfigFile[T](cfgPath)
	if err != nil {
		return flags, err
	}
	return mergeConfig(fl, file, set, flags), nil
}

// consoleLogger is the components' log: readable lines with milliseconds.
func consoleLogger(w io.Writer, level zapcore.Level) *zap.Logger {
	enc := zap.NewDevelopmentEncoderConfig()
	enc.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
	return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), level))
}
