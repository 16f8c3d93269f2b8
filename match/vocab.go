package match

// vocab maps word keys to word ids. It is an open-addressing hash table
// with a Bloom filter in front: most words of a news text are in no term,
// and the filter (8 KB, in the L1 cache) turns them away before the table
// is touched. The same hash serves both, computed once per word.
type vocab struct {
	filter [1 << 10]uint64
	slots  []vslot  // a power of two, at most half full
	arena  []byte   // the words, one after the other
	offs   []uint32 // word id's key is arena[offs[id]:offs[id+1]]
}

// len returns the number of words.
func (v *vocab) len() int { return max(len(v.offs)-1, 0) }

type vslot struct {
	hash uint32
	id   int32 // -1: empty
}

// add returns the id of key, adding it when absent.
func (v *vocab) add(key string) int32 {
	h := hash(key)
	if id, ok := lookup(v, key, h); ok {
		return id
	}
	if 2*(v.len()+1) > len(v.slots) {
		v.grow()
	}
	id := int32(v.len())
	if len(v.offs) == 0 {
		v.offs = append(v.offs, 0)
	}
	v.arena = append(v.arena, key...)
	v.offs = append(v.offs, uint32(len(v.arena)))
	v.insert(h, id)
	v.filter[h>>6&(1<<10-1)] |= 1 << (h & 63)
	return id
}

func (v *vocab) grow() {
	// A few words (one topic's terms, compiled by the configuration's
	// checks) take a small table; it doubles as words come.
	n := max(64, 2*len(v.slots))
	v.slots = make([]vslot, n)
	for i := range v.slots {
		v.slots[i].id = -1
	}
	for id := range v.len() {
		v.insert(hash(v.arena[v.offs[id]:v.offs[id+1]]), int32(id))
	}
}

func (v *vocab) insert(h uint64, id int32) {
	mask := uint64(len(v.slots) - 1)
	for i := h >> 32 & mask; ; i = (i + 1) & mask {
		if v.slots[i].id < 0 {
			v.slots[i] = vslot{uint32(h), id}
			return
		}
	}
}

// lookup returns the id of key, whose hash is h, when v holds it.
func lookup[K string | []byte](v *vocab, key K, h uint64) (int32, bool) {
	if len(v.slots) == 0 || v.filter[h>>6&(1<<10-1)]&(1<<(h&63)) == 0 {
		return 0, false
	}
	mask := uint64(len(v.slots) - 1)
	for i := h >> 32 & mask; ; i = (i + 1) & mask {
		s := v.slots[i]
		if s.id < 0 {
			return 0, false
		}
		if s.hash == uint32(h) && string(v.arena[v.offs[s.id]:v.offs[s.id+1]]) == string(key) {
			return s.id, true
		}
	}
}

// hash hashes a key, a word as a string or as bytes, from its length and
// its first and last eight bytes.
func hash[K string | []byte](k K) uint64 {
	n := len(k)
	var a, b uint64
	if n >= 8 {
		a = uint64(k[0]) | uint64(k[1])<<8 | uint64(k[2])<<16 | uint64(k[3])<<24 |
			uint64(k[4])<<32 | uint64(k[5])<<40 | uint64(k[6])<<48 | uint64(k[7])<<56
		k = k[n-8:]
		b = uint64(k[0]) | uint64(k[1])<<8 | uint64(k[2])<<16 | uint64(k[3])<<24 |
			uint64(k[4])<<32 | uint64(k[5])<<40 | uint64(k[6])<<48 | uint64(k[7])<<56
	} else {
		for i := 0; i < n; i++ {
			a |= uint64(k[i]) << (8 * i)
		}
	}
	return mix(a, b, n)
}

func mix(a, b uint64, n int) uint64 {
	h := (a ^ uint64(n)<<59) * 0x9E3779B97F4A7C15
	h ^= (b + uint64(n)) * 0xC2B2AE3D27D4EB4F
	h ^= h >> 31
	h *= 0x94D049BB133111EB
	return h ^ h>>29
}
