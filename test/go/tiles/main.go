// Command tiles checks a Huren gateway's ledger with Go's own transparency-log code and no
// Huren code at all: the checkpoint with golang.org/x/mod/sumdb/note, and the C2SP tiles
// with golang.org/x/mod/sumdb/tlog's TileHashReader, which authenticates every tile it reads
// against the checkpoint's root. Run by test/ledger.go-tiles.test.ts against a real gateway.
//
//	go run ./test/go/tiles PREFIX VKEY OLD_SIZE OLD_ROOT_BASE64 [corrupt]
//
// It prints one line per check and exits 1 on the first failure. With "corrupt", the tile
// reader flips a bit in the first tile it fetches, and the run must fail.
package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileReader fetches tiles at their C2SP paths: Go's Tile.Path() has a height element
// ("tile/8/0/x001/234") that C2SP tlog-tiles does not ("tile/0/x001/234").
type tileReader struct {
	prefix  string
	corrupt bool
	mu      sync.Mutex
	fetched []string
}

func (r *tileReader) Height() int { return 8 }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	errs := make([]error, len(tiles))
	var wg sync.WaitGroup
	for i, t := range tiles {
		wg.Add(1)
		go func(i int, t tlog.Tile) {
			defer wg.Done()
			path := "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
			out[i], errs[i] = get(r.prefix + "/" + path)
			r.mu.Lock()
			r.fetched = append(r.fetched, path)
			first := len(r.fetched) == 1
			r.mu.Unlock()
			if r.corrupt && first && errs[i] == nil && len(out[i]) > 0 {
				out[i][0] ^= 1
			}
		}(i, t)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func get(url string) ([]byte, error) {
	res, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s %s", url, res.Status, body)
	}
	return body, nil
}

func fail(format string, args ...any) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func hashOf(b64 string) tlog.Hash {
	var h tlog.Hash
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != len(h) {
		fail("not a base64 hash: %q", b64)
	}
	copy(h[:], raw)
	return h
}

func main() {
	if len(os.Args) < 5 {
		fail("usage: tiles PREFIX VKEY OLD_SIZE OLD_ROOT [corrupt]")
	}
	prefix, vkey := os.Args[1], os.Args[2]
	oldSize, err := strconv.ParseInt(os.Args[3], 10, 64)
	if err != nil {
		fail("old size: %v", err)
	}
	oldRoot := hashOf(os.Args[4])

	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := get(prefix + "/checkpoint")
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint origin %q is not %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	tree := tlog.Tree{N: size, Hash: hashOf(lines[2])}
	fmt.Printf("OK checkpoint %s size %d signed by %s\n", lines[0], size, verifier.Name())

	reader := &tileReader{prefix: prefix, corrupt: len(os.Args) > 5 && os.Args[5] == "corrupt"}
	hr := tlog.TileHashReader(tree, reader)
	th, err := tlog.TreeHash(size, hr)
	if err != nil {
		fail("tree hash from tiles: %v", err)
	}
	if th != tree.Hash {
		fail("tree hash from tiles %v is not the checkpoint's %v", th, tree.Hash)
	}
	fmt.Printf("OK tiles reproduce the root of %d\n", size)

	for _, i := range []int64{0, size / 3, size / 2, size - 1} {
		leaf, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil {
			fail("leaf %d: %v", i, err)
		}
		p, err := tlog.ProveRecord(size, i, hr)
		if err != nil {
			fail("record proof %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, size, tree.Hash, i, leaf[0]); err != nil {
			fail("record %d: %v", i, err)
		}
		fmt.Printf("OK leaf %d %s included\n", i, leaf[0])
	}

	p, err := tlog.ProveTree(size, oldSize, hr)
	if err != nil {
		fail("tree proof %d→%d: %v", oldSize, size, err)
	}
	if err := tlog.CheckTree(p, size, tree.Hash, oldSize, oldRoot); err != nil {
		fail("consistency %d→%d: %v", oldSize, size, err)
	}
	fmt.Printf("OK tree of %d is a prefix of the tree of %d\n", oldSize, size)
	fmt.Printf("OK %d tiles fetched\n", len(reader.fetched))
}
