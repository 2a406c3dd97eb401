//! The provider binary's size, which users download and Terraform maps for every command.
//! The release profile strips it (`strip = true`), so stripping a copy again would only
//! repeat the same number; instead the report says whether the binary is in fact stripped,
//! read from its ELF section table, so a profile change cannot slip by unnoticed.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

pub struct BinarySize {
    pub bytes: u64,
    /// `None` when the file is not a 64-bit little-endian ELF file this module can read.
    pub sections: Option<Sections>,
}

/// What `strip` removes, as found in the section table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    /// A `SHT_SYMTAB` section: the full symbol table (the dynamic one stays when stripped).
    pub symbol_table: bool,
    /// A `.debug_*` section (DWARF).
    pub debug_info: bool,
}

impl Sections {
    pub fn stripped(self) -> bool {
        !self.symbol_table && !self.debug_info
    }
}

impl BinarySize {
    pub fn measure(provider: &Path) -> Result<BinarySize> {
        let bytes =
            fs::read(provider).with_context(|| format!("cannot read {}", provider.display()))?;
        Ok(BinarySize {
            bytes: bytes.len() as u64,
            sections: elf_sections(&bytes),
        })
    }
}

const SHT_SYMTAB: u32 = 2;

/// Walks the section headers of an ELF64 little-endian image (the only kind the benchmark
/// runs on: Linux x86-64 and aarch64).
fn elf_sections(image: &[u8]) -> Option<Sections> {
    let u16_at = |at: usize| Some(u16::from_le_bytes(image.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(image.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| {
        let value = u64::from_le_bytes(image.get(at..at + 8)?.try_into().ok()?);
        usize::try_from(value).ok()
    };
    // Magic, ELFCLASS64, ELFDATA2LSB.
    if image.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let table = u64_at(0x28)?;
    let entry_size = usize::from(u16_at(0x3a)?);
    let count = usize::from(u16_at(0x3c)?);
    let names_index = usize::from(u16_at(0x3e)?);
    if entry_size < 0x40 || names_index >= count {
        return None;
    }
    let header = |index: usize| table.checked_add(index.checked_mul(entry_size)?);
    let names_header = header(names_index)?;
    let names_offset = u64_at(names_header + 0x18)?;
    let names_size = u64_at(names_header + 0x20)?;
    let names = image.get(names_offset..names_offset.checked_add(names_size)?)?;
    let mut sections = Sections {
        symbol_table: false,
        debug_info: false,
    };
    for index in 0..count {
        let at = header(index)?;
        let name_at = usize::try_from(u32_at(at)?).ok()?;
        let name = names.get(name_at..)?;
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        sections.symbol_table |= u32_at(at + 4)? == SHT_SYMTAB;
        sections.debug_info |= name.starts_with(b".debug_");
    }
    Some(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 image with a null section, the name table and the named `sections`.
    fn elf_with(sections: &[(&str, u32)]) -> Vec<u8> {
        let mut names = vec![0u8];
        let mut entries = vec![(0u32, 0u32)]; // SHN_UNDEF
        let shstrtab_name = names.len() as u32;
        names.extend_from_slice(b".shstrtab\0");
        entries.push((shstrtab_name, 3)); // SHT_STRTAB
        for (name, kind) in sections {
            entries.push((names.len() as u32, *kind));
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        let names_offset = 0x40;
        let table = names_offset + names.len();
        let mut image = vec![0u8; table + entries.len() * 0x40];
        image[..6].copy_from_slice(b"\x7fELF\x02\x01");
        image[0x28..0x30].copy_from_slice(&(table as u64).to_le_bytes());
        image[0x3a..0x3c].copy_from_slice(&0x40u16.to_le_bytes());
        image[0x3c..0x3e].copy_from_slice(&(entries.len() as u16).to_le_bytes());
        image[0x3e..0x40].copy_from_slice(&1u16.to_le_bytes());
        image[names_offset..table].copy_from_slice(&names);
        for (index, (name, kind)) in entries.iter().enumerate() {
            let at = table + index * 0x40;
            image[at..at + 4].copy_from_slice(&name.to_le_bytes());
            image[at + 4..at + 8].copy_from_slice(&kind.to_le_bytes());
            if index == 1 {
                image[at + 0x18..at + 0x20].copy_from_slice(&(names_offset as u64).to_le_bytes());
                image[at + 0x20..at + 0x28].copy_from_slice(&(names.len() as u64).to_le_bytes());
            }
        }
        image
    }

    #[test]
    fn tells_a_stripped_binary_from_one_with_symbols_or_debug_info() {
        let stripped = elf_sections(&elf_with(&[(".text", 1), (".dynsym", 11)])).unwrap();
        assert!(stripped.stripped());
        let symbols = elf_sections(&elf_with(&[(".text", 1), (".symtab", SHT_SYMTAB)])).unwrap();
        assert!(symbols.symbol_table && !symbols.debug_info);
        let debug = elf_sections(&elf_with(&[(".debug_info", 1)])).unwrap();
        assert!(!debug.symbol_table && debug.debug_info && !debug.stripped());
    }

    #[test]
    fn rejects_what_is_not_a_readable_elf64_image() {
        assert_eq!(elf_sections(b"#!/bin/sh\n"), None);
        let mut truncated = elf_with(&[(".text", 1)]);
        truncated.truncate(0x50);
        assert_eq!(elf_sections(&truncated), None);
    }
}
